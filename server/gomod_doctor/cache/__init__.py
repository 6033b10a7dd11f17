"""The module cache (GOMODCACHE): where the go command keeps what it downloads.

- ``hashing``  go's ``h1:`` hashes of module zips, extracted directories and go.mod
               files (x/mod sumdb/dirhash), plus per-file digests for comparisons
- ``layout``   the go command's paths inside GOMODCACHE for a module version, and
               the leftovers of interrupted downloads
"""
