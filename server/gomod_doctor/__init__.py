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

__version__: str  # pyproject.toml's version, as installed (read on first use)


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs tens of milliseconds at every start of
    # the command, which ``check`` (pre-commit, CI) mostly never asks about.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("gomod-doctor")
    except metadata.PackageNotFoundError:  # the source tree on sys.path, never installed
        version = "0+unknown"
    globals()["__version__"] = version
    return version
