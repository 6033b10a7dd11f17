"""The built-in example workspace shown by ``gomod-doctor demo``."""

from __future__ import annotations

from pathlib import Path

GO_WORK = """\
go 1.22

use (
\t./app
\t./lib
)
"""

APP_GO_MOD = """\
module example.com/app

go 1.22

// A branch name is not a version: the go command rejects it here.
require (
\texample.com/lib master
\tgolang.org/x/text v0.14.0
)

frobnicate example.com/thing

replace example.com/lib => ../lib
"""

LIB_GO_MOD = """\
module example.com/lib

go 1.22

require github.com/example/thing/v2 v1.0.0
"""

APP_GO_SUM = """\
golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=
<<<<<<< HEAD
golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=
=======
golang.org/x/text v0.13.0/go.mod h1:TvPlkZtksWOMsz7fbANvkp4WM8x/WCo/om8BMLbz+aE=
>>>>>>> feature
golang.org/x/text v0.14.0
"""

FILES = {
    "go.work": GO_WORK,
    "app/go.mod": APP_GO_MOD,
    "app/go.sum": APP_GO_SUM,
    "lib/go.mod": LIB_GO_MOD,
}


def write(root: Path) -> Path:
    """Write the example under ``root``; returns the go.work path."""
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root / "go.work"
