"""gomod-doctor: finds and fixes Go module problems.

Layout (syntax and meaning kept apart, as golang.org/x/mod does):

- ``position``   source positions and ranges shared by every layer
- ``gostrings``  Go's white space, ``strings.Fields`` and ``TrimSpace``
- ``module``     module paths, versions, semver, cache escaping (x/mod/module, x/mod/semver)
- ``modfile``    go.mod / go.work: ``syntax`` (text -> positioned tree), ``rules`` and
                 ``work`` (tree -> meaning), ``edit`` (minimal text edits on the tree)
- ``gosum``      go.sum / go.work.sum parser
- ``goenv``      the effective Go environment, GOPROXY lists, GOPRIVATE patterns
- ``workspace``  I/O edge: finds the workspace, reads it into a snapshot, scans imports,
                 works out what the build needs
- ``cache``      the module cache: layout, quick state, h1 hashing, full verification in
                 worker processes, the memo, safe operations (clear, prune, download)
- ``network``    GOPROXY probes and chain evaluation, proxy-copy comparison, the
                 checksum database (``network.sumdb``)
- ``facts``      everything the checks look at, gathered once
- ``checks``     pure functions: facts in, findings out (one module per concern)
- ``findings``   the finding model (code, severity, range, message, fix data) and catalog
- ``engine``     gathers the facts (I/O) and runs the checks (pure)
- ``cli``        the ``gomod-doctor`` command (a thin adapter over the engine)
- ``lsp``        the language server (a thin adapter over the engine)
- ``demo``       the built-in example behind ``make demo``
"""

# The one place the version is written: the build (hatchling) reads it from here, so
# the command never pays importlib.metadata's tens of milliseconds to learn it.
__version__ = "0.1.0"
