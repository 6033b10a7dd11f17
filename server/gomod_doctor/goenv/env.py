"""The effective Go environment, computed as the go command computes it.

Where a setting comes from, in order (cmd/go/internal/cfg):

1. the process environment, when the variable is set *and non-empty*;
2. the user's go/env file (``GOENV``; by default ``<UserConfigDir>/go/env``);
3. ``$GOROOT/go.env`` (for keys the user file does not mention at all: a user
   file line ``GOPROXY=`` hides go.env's GOPROXY);
4. built-in defaults.

:func:`resolve` is pure: it is given the environment and the two files' text.
:func:`load` is the I/O edge: it reads the files and finds GOROOT and GOVERSION
without ever starting a toolchain download or touching the network. The host's
rules (paths, user directories, go/env files) are :mod:`.hostos`', GOFLAGS
:mod:`.goflags`'; this module re-exports their names.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gomod_doctor.goenv.goflags import goflags_problems, split_goflags
from gomod_doctor.goenv.hostos import (
    _OS,
    _user_cache_dir,
    goenv_path,
    goroot_for_go_env,
    host_goarch,
    host_goos,
    parse_env_file,
)
from gomod_doctor.goenv.hostos import _clean_posix as _clean_posix
from gomod_doctor.goenv.hostos import _user_config_dir as _user_config_dir
from gomod_doctor.goenv.proxy import ProxyList, parse_proxy_list
from gomod_doctor.module.goquote import go_quote
from gomod_doctor.module.paths import match_prefix_patterns

Source = Literal["env", "goenv", "go.env", "default"]

#: The variables this module resolves.
KEYS = (
    "GOPATH",
    "GOMODCACHE",
    "GOPROXY",
    "GONOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
    "GOSUMDB",
    "GOINSECURE",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOENV",
    "GOWORK",
    "GOROOT",
    "GOVERSION",
    "GOOS",
    "GOARCH",
    "GOCACHE",
    "GOCACHEPROG",
    "GODEBUG",
)

#: Keys ``go env -w`` refuses, with go's reason. Of these, only GOROOT and GOWORK
#: are still read from a hand-edited go/env file; go computes the others itself.
UNWRITABLE = {
    **{
        k: f"{k} cannot be modified"
        for k in (
            "GOEXE",
            "GOGCCFLAGS",
            "GOHOSTARCH",
            "GOHOSTOS",
            "GOMOD",
            "GOROOT",
            "GOTELEMETRY",
            "GOTELEMETRYDIR",
            "GOTOOLDIR",
            "GOVERSION",
            "GOWORK",
        )
    },
    "GOENV": "GOENV can only be set using the OS environment",
    "GODEBUG": "GODEBUG can only be set using the OS environment",
}

#: What Go distributions ship in $GOROOT/go.env; assumed when GOROOT is unknown.
DISTRIBUTION_GO_ENV = {
    "GOPROXY": "https://proxy.golang.org,direct",
    "GOSUMDB": "sum.golang.org",
    "GOTOOLCHAIN": "auto",
}


# --- the result --------------------------------------------------------------------


@dataclass
class GoEnv:
    """Effective values, as ``go env`` prints them, plus what is known about them."""

    GOPATH: str = ""
    GOMODCACHE: str = ""
    GOPROXY: str = ""
    GONOPROXY: str = ""
    GOPRIVATE: str = ""
    GONOSUMDB: str = ""
    GOSUMDB: str = ""
    GOINSECURE: str = ""
    GOFLAGS: str = ""
    GOTOOLCHAIN: str = ""
    GOENV: str = ""
    GOWORK: str = ""
    GOROOT: str = ""
    GOVERSION: str = ""
    GOOS: str = ""
    GOARCH: str = ""
    #: The build cache (``"off"`` when disabled or unusable, as ``go env`` prints it).
    GOCACHE: str = ""
    GOCACHEPROG: str = ""
    #: From the process environment only.
    GODEBUG: str = ""
    #: GOFLAGS split into flags as the go command splits it.
    goflags: list[str] = field(default_factory=list)
    #: Where each value came from.
    sources: dict[str, Source] = field(default_factory=dict)
    #: The go command's own messages about this environment (warnings and errors).
    problems: list[str] = field(default_factory=list)
    #: The message that stops every go command (``go env`` included), if any.
    fatal: str | None = None
    #: Keys whose value could not be known (e.g. no go binary: GOROOT, GOVERSION).
    unknown: set[str] = field(default_factory=set)
    #: Keys whose value assumes what Go distributions put in $GOROOT/go.env.
    assumed: set[str] = field(default_factory=set)
    #: Plain-words notes: why something is unknown, files not read, and so on.
    notes: list[str] = field(default_factory=list)
    #: Why GOPATH is empty, in go's words (cfg.GoPathError), if it is.
    gopath_error: str = ""
    #: The GOWORK setting itself; GOWORK above is what ``go env`` prints outside
    #: any workspace ("" for unset/auto: go searches up from the working directory).
    gowork_setting: str = ""
    #: The user go/env file's settings as read.
    goenv_file_settings: dict[str, str] = field(default_factory=dict)
    #: The $GOROOT/go.env settings as read.
    goroot_env_settings: dict[str, str] = field(default_factory=dict)
    goos_host: str = ""

    def get(self, key: str) -> str:
        value = getattr(self, key, None)
        return value if isinstance(value, str) else ""

    def as_dict(self) -> dict[str, str]:
        return {k: self.get(k) for k in KEYS}

    @property
    def mod_flag(self) -> str:
        """The ``-mod`` value GOFLAGS sets (the last one wins), or "" when unset."""
        for flag in reversed(self.goflags):
            if flag.startswith("-mod="):
                return flag.removeprefix("-mod=")
        return ""

    @property
    def gopath_list(self) -> list[str]:
        return _OS(self.goos_host or host_goos()).split_list(self.GOPATH)

    @property
    def proxy_list(self) -> ProxyList:
        return parse_proxy_list(self.GOPROXY, gonoproxy=self.GONOPROXY, goos=self.goos_host)

    def is_private(self, path: str) -> bool:
        """The module path matches GOPRIVATE."""
        return _match(self.GOPRIVATE, path)

    def no_proxy(self, path: str) -> bool:
        """The module path matches GONOPROXY (fetched directly, never via a proxy)."""
        return _match(self.GONOPROXY, path)

    def no_sumdb(self, path: str) -> bool:
        """The module path matches GONOSUMDB (not checked against the checksum database)."""
        return _match(self.GONOSUMDB, path)

    def insecure(self, path: str) -> bool:
        """The module path matches GOINSECURE."""
        return _match(self.GOINSECURE, path)

    def uses_sumdb(self, path: str) -> bool:
        """go consults the checksum database for this module (modfetch.useSumDB)."""
        return self.GOSUMDB != "off" and not self.no_sumdb(path)


def _match(globs: str, path: str) -> bool:
    return match_prefix_patterns(globs, path)


# --- the pure resolver ----------------------------------------------------------------


def resolve(
    environ: Mapping[str, str],
    *,
    goenv_file: str | None,
    goroot_env_file: str | None,
    goroot: str | None,
    go_version: str | None,
    goos: str | None = None,
    goarch: str | None = None,
    build_goroot: str = "",
) -> GoEnv:
    """Compute the effective environment as ``go env`` does.

    ``environ``: the process environment. ``goenv_file``: the text of the user's
    go/env file (None: absent or unreadable; see :func:`goenv_path`).
    ``goroot_env_file``: the text of ``$GOROOT/go.env`` for the GOROOT given by
    :func:`goroot_for_go_env` (None: absent). ``goroot``: the GOROOT the go binary
    finds from its own location (None: no binary known). ``go_version``: the
    binary's ``runtime.Version()``. ``goos``/``goarch``: the binary's own platform
    (default: this host). ``build_goroot``: the GOROOT baked into the binary at
    build time (empty for release builds, which are built trimmed).
    """
    osx = _OS(goos or host_goos())
    env = GoEnv(goos_host=osx.goos)

    def os_getenv(key: str) -> str:
        return environ.get(key, "")

    # 1. GOENV and the user file.
    env_file, env_file_err = goenv_path(environ, osx.goos)
    env.GOENV = env_file
    env.sources["GOENV"] = "env" if os_getenv("GOENV") else "default"
    user: dict[str, str] = {}
    if env_file_err is not None:
        env.notes.append(f"no user go/env file is read: {env_file_err}")
    elif goenv_file is not None:
        user = parse_env_file(goenv_file)
    env.goenv_file_settings = dict(user)
    for key in sorted(user):
        if key in UNWRITABLE:
            reason = UNWRITABLE[key]
            effect = (
                "the go command still reads it"
                if key in ("GOROOT", "GOWORK")
                else "the go command ignores it there"
            )
            env.notes.append(f"{env_file} sets {key}: {reason} with go env -w; {effect}")

    # 2. GOROOT and its go.env.
    found_goroot = goroot_for_go_env(
        environ, goenv_file if not env_file_err else None, goroot, osx.goos
    )
    goroot_env: dict[str, str] = {}
    go_env_unknown = False
    if found_goroot is None:
        go_env_unknown = True
        env.unknown.add("GOROOT")
        env.notes.append("GOROOT is unknown (no go binary found): $GOROOT/go.env was not read")
    elif goroot_env_file is not None:
        goroot_env = parse_env_file(goroot_env_file)
    env.goroot_env_settings = dict(goroot_env)

    merged: dict[str, tuple[str, Source]] = {k: (v, "goenv") for k, v in user.items()}
    for k, v in goroot_env.items():
        if k not in merged:
            merged[k] = (v, "go.env")

    def getenv(key: str) -> tuple[str, Source | None]:
        """cfg.Getenv: (value, where from) with None when nothing sets it."""
        v = os_getenv(key)
        if v:
            return v, "env"
        if key in merged:
            return merged[key]
        if go_env_unknown and key in DISTRIBUTION_GO_ENV:
            env.assumed.add(key)
            return DISTRIBUTION_GO_ENV[key], "go.env"
        return "", None

    def env_or(key: str, default: str) -> str:
        v, src = getenv(key)
        if v:
            env.sources[key] = src or "default"
            return v
        env.sources[key] = "default"
        return default

    # GOROOT as reported: $GOROOT if non-empty, else the one found above.
    if os_getenv("GOROOT"):
        env.GOROOT = os_getenv("GOROOT")
        env.sources["GOROOT"] = "env"
    else:
        env.GOROOT = found_goroot or ""
        env.sources["GOROOT"] = "goenv" if user.get("GOROOT") else "default"
    if env.GOROOT == "" and "GOROOT" not in env.unknown:
        _fatal(
            env,
            "go: cannot find GOROOT directory: 'go' binary is trimmed and GOROOT is not set",
        )

    if go_version is None:
        env.unknown.add("GOVERSION")
        env.notes.append("GOVERSION is unknown (no go binary found)")
    else:
        env.GOVERSION = go_version
    env.sources["GOVERSION"] = "default"

    env.GOOS = env_or("GOOS", osx.goos)
    env.GOARCH = env_or("GOARCH", goarch or host_goarch())

    # 3. GOPATH: go/build's default, then cfg's layering.
    home = os_getenv(osx.home_var)
    runtime_goroot = os_getenv("GOROOT") or build_goroot
    build_gopath = os_getenv("GOPATH")
    if not build_gopath and home:
        candidate = osx.join(home, "go")
        if osx.clean(candidate) != osx.clean(runtime_goroot):
            build_gopath = candidate
    if build_gopath:
        default_gopath = build_gopath
    else:
        default_gopath = ""
        if home:
            env.gopath_error = "cannot set GOROOT as GOPATH"
        else:
            env.gopath_error = f"{osx.home_var} is not set"
    gopath_setting, _src = getenv("GOPATH")
    env.GOPATH = env_or("GOPATH", default_gopath)

    # GOMODCACHE's default uses GOPATH before main's checks below may clear it.
    first = (osx.split_list(env.GOPATH) or [""])[0]
    env.GOMODCACHE = env_or("GOMODCACHE", osx.join(first, "pkg/mod") if first else "")

    if env.fatal is None:
        _check_gopath(env, osx, gopath_setting, "GOROOT" in env.unknown)
    if env.GOMODCACHE == "":
        env.problems.append("module cache not found: neither GOMODCACHE nor GOPATH is set")
    elif not osx.is_abs(env.GOMODCACHE):
        env.problems.append(
            f"GOMODCACHE entry is relative; must be absolute path: {go_quote(env.GOMODCACHE)}."
        )

    # 4. Module fetching settings.
    env.GOPROXY = env_or("GOPROXY", "")
    env.GOSUMDB = env_or("GOSUMDB", "")
    env.GOPRIVATE = env_or("GOPRIVATE", "")
    env.GONOPROXY = env_or("GONOPROXY", env.GOPRIVATE)
    if env.sources["GONOPROXY"] == "default" and env.GOPRIVATE:
        env.notes.append("GONOPROXY defaults to GOPRIVATE")
    env.GONOSUMDB = env_or("GONOSUMDB", env.GOPRIVATE)
    if env.sources["GONOSUMDB"] == "default" and env.GOPRIVATE:
        env.notes.append("GONOSUMDB defaults to GOPRIVATE")
    env.GOINSECURE = env_or("GOINSECURE", "")
    env.GOTOOLCHAIN = env_or("GOTOOLCHAIN", "")
    if env.assumed:
        env.notes.append(
            "assumed the go.env defaults Go distributions ship for "
            + ", ".join(sorted(env.assumed))
        )

    # 5. GOFLAGS.
    env.GOFLAGS = env_or("GOFLAGS", "")
    env.goflags, flag_problems = goflags_problems(env.GOFLAGS)
    env.problems.extend(flag_problems)

    # 6. The build cache (cache.DefaultDir) and GODEBUG (the OS environment only).
    gocache_setting, gocache_source = getenv("GOCACHE")
    env.GOCACHE, gocache_error = _gocache(gocache_setting, environ, osx)
    env.sources["GOCACHE"] = gocache_source or "default"
    if gocache_error:
        env.notes.append(f"GOCACHE is off: {gocache_error}")
    env.GOCACHEPROG = env_or("GOCACHEPROG", "")
    env.GODEBUG = os_getenv("GODEBUG")
    env.sources["GODEBUG"] = "env" if env.GODEBUG else "default"

    # 7. GOWORK (its go.work file search depends on the working directory).
    setting = env_or("GOWORK", "")
    env.gowork_setting = setting
    if setting == "off":
        env.GOWORK = "off"
    elif setting in ("", "auto"):
        env.GOWORK = ""
        env.notes.append("GOWORK: go.work is found by searching up from the working directory")
    elif not osx.is_abs(setting):
        env.GOWORK = ""
        _fatal(env, "go: invalid GOWORK: not an absolute path")
    else:
        env.GOWORK = setting
    return env


def _gocache(setting: str, environ: Mapping[str, str], osx: _OS) -> tuple[str, str | None]:
    """cache.DefaultDir: (the effective GOCACHE, why it is "off" when go turned it off)."""
    if setting:
        if setting == "off" or osx.is_abs(setting):
            return setting, None
        return "off", "GOCACHE is not an absolute path"
    base, err = _user_cache_dir(environ, osx)
    if err is not None:
        return "off", f"GOCACHE is not defined and {err}"
    return osx.join(base, "go-build"), None


def _fatal(env: GoEnv, message: str) -> None:
    env.problems.append(message)
    if env.fatal is None:
        env.fatal = message


def _check_gopath(env: GoEnv, osx: _OS, gopath_setting: str, goroot_unknown: bool) -> None:
    """main.go's GOPATH checks, run before every go command."""
    gopath = env.GOPATH
    if not goroot_unknown and osx.clean(gopath) == osx.clean(env.GOROOT):
        env.problems.append(
            f"warning: both GOPATH and GOROOT are the same directory ({gopath}); "
            "see https://go.dev/wiki/InstallTroubleshooting"
        )
        return
    for p in osx.split_list(gopath):
        if p == "":
            continue
        if p.startswith("~"):
            _fatal(
                env, f"go: GOPATH entry cannot start with shell metacharacter '~': {go_quote(p)}"
            )
            return
        if not osx.is_abs(p):
            if gopath_setting == "":
                # go inferred GOPATH from a relative home and quietly drops it.
                env.GOPATH = ""
                env.notes.append(f"GOPATH inferred from ${osx.home_var} is relative; go drops it")
            else:
                _fatal(
                    env,
                    f"go: GOPATH entry is relative; must be absolute path: {go_quote(p)}.\n"
                    "For more details see: 'go help gopath'",
                )
                return


# --- the I/O edge ------------------------------------------------------------------------


def _is_goroot(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "pkg", "tool"))


def goroot_from_binary(binary: str) -> str | None:
    """GOROOT as the go binary finds it from its own path (cfg.findGOROOT)."""
    try:
        exe = os.path.abspath(binary)
    except (OSError, ValueError):
        return None
    for candidate in (exe, os.path.realpath(exe)):
        for up in ("../..", "../../.."):
            d = os.path.normpath(os.path.join(candidate, up))
            if _is_goroot(d):
                return d
    return None


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _version_file(goroot: str) -> str | None:
    text = _read_text(os.path.join(goroot, "VERSION"))
    if text is None:
        return None
    first = text.split("\n", 1)[0].strip()
    return first or None


def _ask_go(binary: str, environ: Mapping[str, str], timeout: float) -> dict[str, str] | None:
    """``go env -json GOROOT GOVERSION`` run safely: GOTOOLCHAIN=local, no go.env
    overrides that could make it fail, cwd outside any workspace."""
    env = {k: v for k, v in environ.items() if not k.startswith("GO")}
    with tempfile.TemporaryDirectory(prefix="gomod-doctor-") as tmp:
        env.update(
            {
                "GOTOOLCHAIN": "local",
                "GOENV": "off",
                "GOFLAGS": "",
                "GOWORK": "off",
                "GOPATH": os.path.join(tmp, "gopath"),
                "GOPROXY": "off",
            }
        )
        try:
            out = subprocess.run(
                [binary, "env", "-json", "GOROOT", "GOVERSION"],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
    if out.returncode != 0:
        return None
    try:
        data = json.loads(out.stdout)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items()}


def find_go_binary(environ: Mapping[str, str]) -> str | None:
    return shutil.which("go", path=environ.get("PATH", os.defpath))


def load(
    environ: Mapping[str, str] | None = None,
    *,
    go_binary: str | None = None,
    timeout: float = 10.0,
) -> GoEnv:
    """Read the effective Go environment of ``environ`` (default: this process).

    Works without any go binary (then GOROOT/GOVERSION are reported unknown). It
    never starts a toolchain download: GOROOT comes from the binary's location and
    GOVERSION from ``$GOROOT/VERSION``; only when that fails (e.g. ``go`` is a
    wrapper script) is ``go env`` run, with GOTOOLCHAIN=local, in a temp directory.
    """
    if environ is None:
        environ = dict(os.environ)
    goos = host_goos()
    binary = go_binary or find_go_binary(environ)
    exe_goroot: str | None = None
    version: str | None = None
    notes: list[str] = []
    if binary is not None:
        exe_goroot = goroot_from_binary(binary)
        if exe_goroot is not None:
            version = _version_file(exe_goroot)
        if exe_goroot is None or version is None:
            answer = _ask_go(binary, environ, timeout)
            if answer is not None:
                exe_goroot = exe_goroot or answer.get("GOROOT") or None
                version = version or answer.get("GOVERSION") or None
            else:
                notes.append(f"could not run {binary} env")
    else:
        notes.append("no go binary on PATH")

    env_file, err = goenv_path(environ, goos)
    goenv_text = _read_text(env_file) if err is None and env_file else None
    root = goroot_for_go_env(environ, goenv_text, exe_goroot, goos)
    goroot_env_text = _read_text(os.path.join(root, "go.env")) if root else None
    result = resolve(
        environ,
        goenv_file=goenv_text,
        goroot_env_file=goroot_env_text,
        goroot=exe_goroot,
        go_version=version,
        goos=goos,
    )
    result.notes[:0] = notes
    if result.GOROOT and not Path(result.GOROOT).is_dir() and "GOROOT" not in result.unknown:
        # main.go checks this before GOPATH and GOWORK, so it is what go reports.
        message = f"go: cannot find GOROOT directory: {result.GOROOT}"
        result.problems.insert(0, message)
        result.fatal = message
    return result


__all__ = [
    "DISTRIBUTION_GO_ENV",
    "KEYS",
    "UNWRITABLE",
    "GoEnv",
    "find_go_binary",
    "goenv_path",
    "goflags_problems",
    "goroot_for_go_env",
    "goroot_from_binary",
    "host_goarch",
    "host_goos",
    "load",
    "parse_env_file",
    "resolve",
    "split_goflags",
]
