"""Privacy and safety: which paths are never sent, which settings weaken go's checks,
and the GOPRIVATE fix for a private path that leaks to public services.

* :func:`never_to_proxy` and :func:`never_to_sumdb` are the rules every request
  obeys: a GOPRIVATE or GONOPROXY path is never sent to a proxy; a GOPRIVATE or
  GONOSUMDB path never to a checksum database.
* :func:`insecure_settings` lists GOSUMDB=off, GOINSECURE, GONOSUMCHECK, very broad
  GONOSUMDB patterns and ``-insecure`` in GOFLAGS, each with one sentence on the risk.
* :func:`suggest_private_prefix` and :func:`goprivate_argv` give the fix for
  ``private-path-exposed``: ``go env -w GOPRIVATE=<old>,<prefix>``. Nothing here runs it.
"""

from __future__ import annotations

from collections.abc import Mapping

from gomod_doctor.goenv.env import GoEnv
from gomod_doctor.netfacts import InsecureSetting

#: Public code hosts where the first path element after the host is an owner: a
#: private module's prefix there is ``host/owner``, never the whole host.
OWNER_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "codeberg.org",
        "git.sr.ht",
        "gitee.com",
        "dev.azure.com",
        "hub.jazz.net",
        "launchpad.net",
        "salsa.debian.org",
    }
)

#: Hosts whose whole namespace is public: turning checksum checks off for all of it
#: is never what a private-module setting means.
PUBLIC_HOSTS = OWNER_HOSTS | frozenset(
    {
        "golang.org",
        "google.golang.org",
        "gopkg.in",
        "go.googlesource.com",
        "cloud.google.com",
        "k8s.io",
        "sigs.k8s.io",
        "go.uber.org",
        "go.opentelemetry.io",
        "honnef.co",
        "go.etcd.io",
    }
)


def never_to_proxy(env: GoEnv, path: str) -> bool:
    """True for a path that must never reach a module proxy (GOPRIVATE/GONOPROXY)."""
    return env.is_private(path) or env.no_proxy(path)


def never_to_sumdb(env: GoEnv, path: str) -> bool:
    """True for a path that must never reach a checksum database (GOPRIVATE/GONOSUMDB)."""
    return env.is_private(path) or env.no_sumdb(path)


# --------------------------------------------------------------------------- the fix


def suggest_private_prefix(path: str) -> str:
    """The GOPRIVATE pattern that covers ``path`` and its siblings: ``host/owner`` on
    public code hosts (``github.com/acme``), else the host (``git.corp.example``)."""
    elems = [e for e in path.split("/") if e]
    if not elems:
        return path
    host = elems[0].lower()
    if host in OWNER_HOSTS and len(elems) >= 2:
        return f"{elems[0]}/{elems[1]}"
    return elems[0]


def goprivate_argv(current: str, prefix: str, go: str = "go") -> list[str]:
    """``go env -w GOPRIVATE=...`` keeping the current patterns (``go env -w`` replaces
    the value, it does not append)."""
    patterns = [p.strip() for p in current.split(",") if p.strip()]
    if prefix not in patterns:
        patterns.append(prefix)
    return [go, "env", "-w", "GOPRIVATE=" + ",".join(patterns)]


# --------------------------------------------------------------------------- settings


def is_broad_pattern(pattern: str) -> bool:
    """A GONOSUMDB/GOPRIVATE pattern so wide that it switches checks off for public
    modules: ``*``, a wildcard over a top-level domain (``*.com``), a bare top-level
    domain, or a whole public code host (``github.com``)."""
    p = pattern.strip().strip("/")
    if not p:
        return False
    elems = p.split("/")
    first = elems[0].lower()
    literal = [label for label in first.split(".") if label and not any(c in label for c in "*?[")]
    wild = any(c in first for c in "*?[")
    if wild and len(literal) < 2:
        return True
    if not wild and "." not in first:
        return len(elems) == 1
    return len(elems) == 1 and first in PUBLIC_HOSTS


def insecure_settings(
    env: GoEnv, environ: Mapping[str, str] | None = None
) -> list[InsecureSetting]:
    """The settings that turn a protection of the go command off."""
    environ = environ or {}
    out: list[InsecureSetting] = []
    if env.GOSUMDB.strip() == "off":
        out.append(
            InsecureSetting(
                "GOSUMDB",
                "off",
                "the go command no longer checks downloaded modules against the public "
                "checksum database, so a proxy or repository serving altered code goes unnoticed",
            )
        )
    if env.GOINSECURE.strip():
        out.append(
            InsecureSetting(
                "GOINSECURE",
                env.GOINSECURE,
                "modules matching it are fetched over plain HTTP or unverified HTTPS, where "
                "anyone on the network path can alter them",
            )
        )
    nosumcheck = environ.get("GONOSUMCHECK", "")
    if nosumcheck:
        out.append(
            InsecureSetting(
                "GONOSUMCHECK",
                nosumcheck,
                "a Go 1.13 pre-release way to skip checksum checks: today's go ignores it, "
                "but whatever relies on it expects unverified downloads (GONOSUMDB and "
                "GOSUMDB=off are what turn checks off now)",
            )
        )
    broad = [p for p in env.GONOSUMDB.split(",") if is_broad_pattern(p)]
    if broad:
        source = " (from GOPRIVATE)" if env.sources.get("GONOSUMDB") == "default" else ""
        out.append(
            InsecureSetting(
                "GONOSUMDB",
                env.GONOSUMDB,
                f"{', '.join(p.strip() for p in broad)}{source} covers public modules, whose "
                "downloads are then never checked against the checksum database",
            )
        )
    flags = [f for f in env.goflags if f.lstrip("-").split("=", 1)[0] == "insecure"]
    if flags:
        out.append(
            InsecureSetting(
                "GOFLAGS",
                env.GOFLAGS,
                f"{flags[0]} asks for downloads over insecure connections (go get now refuses "
                "it: '-insecure flag is no longer supported; use GOINSECURE instead')",
            )
        )
    return out


__all__ = [
    "OWNER_HOSTS",
    "PUBLIC_HOSTS",
    "goprivate_argv",
    "insecure_settings",
    "is_broad_pattern",
    "never_to_proxy",
    "never_to_sumdb",
    "suggest_private_prefix",
]
