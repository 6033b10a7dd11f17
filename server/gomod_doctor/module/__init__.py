"""Module paths, versions, semver, pseudo-versions and cache escaping.

A port of golang.org/x/mod's ``semver`` and ``module`` packages: the same rules
and, for every error, the same message text as the go command. Submodules:

- :mod:`~gomod_doctor.module.semver`   semantic versions
- :mod:`~gomod_doctor.module.paths`    path checks, path majors, the error types
- :mod:`~gomod_doctor.module.pseudo`   pseudo-versions
- :mod:`~gomod_doctor.module.escape`   ``!``-escaping for the module cache and proxies
- :mod:`~gomod_doctor.module.match`    ``path.Match`` and GOPRIVATE-style prefix globs
- :mod:`~gomod_doctor.module.goquote`  Go's ``%q`` quoting, for exact messages
"""

from __future__ import annotations

from gomod_doctor.module import semver
from gomod_doctor.module.escape import escape_path, escape_version, unescape_path, unescape_version
from gomod_doctor.module.match import BadPatternError, match_prefix_patterns, path_match
from gomod_doctor.module.paths import (
    InvalidPathError,
    InvalidVersionError,
    ModuleError,
    ModuleVersion,
    canonical_version,
    check,
    check_file_path,
    check_import_path,
    check_path,
    check_path_major,
    is_standard_import_path,
    match_path_major,
    path_major_prefix,
    sort_module_versions,
    split_path_version,
    version_error,
)
from gomod_doctor.module.pseudo import (
    PSEUDO_VERSION_TIMESTAMP_FORMAT,
    is_pseudo_version,
    is_zero_pseudo_version,
    pseudo_version,
    pseudo_version_base,
    pseudo_version_rev,
    pseudo_version_time,
    zero_pseudo_version,
)

__all__ = [
    "PSEUDO_VERSION_TIMESTAMP_FORMAT",
    "BadPatternError",
    "InvalidPathError",
    "InvalidVersionError",
    "ModuleError",
    "ModuleVersion",
    "canonical_version",
    "check",
    "check_file_path",
    "check_import_path",
    "check_path",
    "check_path_major",
    "escape_path",
    "escape_version",
    "is_pseudo_version",
    "is_standard_import_path",
    "is_zero_pseudo_version",
    "match_path_major",
    "match_prefix_patterns",
    "path_major_prefix",
    "path_match",
    "pseudo_version",
    "pseudo_version_base",
    "pseudo_version_rev",
    "pseudo_version_time",
    "semver",
    "sort_module_versions",
    "split_path_version",
    "unescape_path",
    "unescape_version",
    "version_error",
    "zero_pseudo_version",
]
