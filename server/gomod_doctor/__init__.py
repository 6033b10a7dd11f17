"""gomod-doctor: finds and fixes Go module problems.

Layout (syntax and meaning kept apart, as golang.org/x/mod does):

- ``position``   source positions and ranges shared by every layer
- ``module``     module paths, versions, semver, cache escaping (x/mod/module, x/mod/semver)
- ``modfile``    go.mod / go.work: ``syntax`` (text -> positioned tree), ``rules`` and
                 ``work`` (tree -> meaning), ``edit`` (minimal text edits on the tree)
- ``gosum``      go.sum / go.work.sum parser
- ``goenv``      the effective Go environment, GOPROXY lists, GOPRIVATE patterns
- ``workspace``  I/O edge: finds the workspace and reads it into a snapshot
- ``checks``     pure functions: snapshot in, findings out
- ``findings``   the finding model (code, severity, range, message, fix data)
- ``engine``     runs the checks over a snapshot
- ``cli``        the ``gomod-doctor`` command (a thin adapter over the engine)
- ``demo``       the built-in example workspace behind ``make demo``
"""

__version__ = "0.1.0"
