"""The host as the go command sees it: Go's path rules on the host OS, its GOOS and
GOARCH, the user directories, and the go/env files (where they are, how they read).
Pure but for the host lookups; :mod:`.env` resolves the environment with them."""

from __future__ import annotations

import ntpath
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass

# --- Go path helpers (filepath on the host OS) ------------------------------------


def _clean_posix(path: str) -> str:
    """Go's path.Clean / filepath.Clean on Unix."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = ("/" if rooted else "") + "/".join(parts)
    return out or ("/" if rooted else ".")


@dataclass(frozen=True)
class _OS:
    goos: str

    @property
    def windows(self) -> bool:
        return self.goos == "windows"

    @property
    def list_sep(self) -> str:
        return ";" if self.windows else ":"

    @property
    def home_var(self) -> str:
        if self.windows:
            return "USERPROFILE"
        if self.goos == "plan9":
            return "home"
        return "HOME"

    def clean(self, path: str) -> str:
        if self.windows:
            return ntpath.normpath(path) if path else "."
        return _clean_posix(path)

    def join(self, *elems: str) -> str:
        parts = [e for e in elems if e]
        if not parts:
            return ""
        sep = "\\" if self.windows else "/"
        return self.clean(sep.join(parts))

    def is_abs(self, path: str) -> bool:
        if self.windows:
            drive, rest = ntpath.splitdrive(path)
            if drive.startswith(("\\\\", "//")):
                return True
            return bool(drive) and rest[:1] in ("\\", "/")
        return path.startswith("/")

    def split_list(self, value: str) -> list[str]:
        """filepath.SplitList (without Windows quote handling)."""
        if value == "":
            return []
        return value.split(self.list_sep)


def host_goos() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    if sys.platform.startswith("freebsd"):
        return "freebsd"
    if sys.platform.startswith("openbsd"):
        return "openbsd"
    if sys.platform.startswith("netbsd"):
        return "netbsd"
    return "linux"


def host_goarch() -> str:
    machine = platform.machine().lower()
    return {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "i386": "386",
        "i686": "386",
        "x86": "386",
        "armv7l": "arm",
        "armv6l": "arm",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
        "riscv64": "riscv64",
        "loongarch64": "loong64",
    }.get(machine, machine)


# --- go/env files -------------------------------------------------------------------


def parse_env_file(text: str) -> dict[str, str]:
    """Read a go/env or go.env file as the go command does.

    Lines are split on "\\n" only; a line is used when it has an "=" and starts
    with an ASCII capital letter (so comments, blank lines and indented lines are
    ignored). Nothing is trimmed: ``KEY=val\\r`` keeps its "\\r". The last line for
    a key wins.
    """
    out: dict[str, str] = {}
    for line in text.split("\n"):
        eq = line.find("=")
        if eq < 0 or not ("A" <= line[0] <= "Z"):
            continue
        out[line[:eq]] = line[eq + 1 :]
    return out


def goenv_path(environ: Mapping[str, str], goos: str | None = None) -> tuple[str, str | None]:
    """The user go/env file go would read: ``(path, None)`` or ``("", reason)``."""
    osx = _OS(goos or host_goos())
    file = environ.get("GOENV", "")
    if file:
        if file == "off":
            return "", "GOENV=off"
        return file, None
    config, err = _user_config_dir(environ, osx)
    if err is not None:
        return "", err
    return osx.join(config, "go/env"), None


def _user_dir(
    environ: Mapping[str, str],
    osx: _OS,
    *,
    windows: tuple[str, ...],
    darwin: str,
    plan9: str,
    xdg: str,
    home: str,
) -> tuple[str, str | None]:
    """os.UserConfigDir / os.UserCacheDir: (the directory, or "" and go's reason)."""
    if osx.windows:
        d = next((v for k in windows if (v := environ.get(k, ""))), "")
        return (d, None) if d else ("", f"%{windows[0]}% is not defined")
    if osx.goos in ("darwin", "ios"):
        d = environ.get("HOME", "")
        return (d + darwin, None) if d else ("", "$HOME is not defined")
    if osx.goos == "plan9":
        d = environ.get("home", "")
        return (d + plan9, None) if d else ("", "$home is not defined")
    d = environ.get(xdg, "")
    if not d:
        d = environ.get("HOME", "")
        if not d:
            return "", f"neither ${xdg} nor $HOME are defined"
        return d + home, None
    if not d.startswith("/"):
        return "", f"path in ${xdg} is relative"
    return d, None


def _user_config_dir(environ: Mapping[str, str], osx: _OS) -> tuple[str, str | None]:
    """os.UserConfigDir."""
    return _user_dir(
        environ,
        osx,
        windows=("AppData", "APPDATA"),
        darwin="/Library/Application Support",
        plan9="/lib",
        xdg="XDG_CONFIG_HOME",
        home="/.config",
    )


def _user_cache_dir(environ: Mapping[str, str], osx: _OS) -> tuple[str, str | None]:
    """os.UserCacheDir."""
    return _user_dir(
        environ,
        osx,
        windows=("LocalAppData",),
        darwin="/Library/Caches",
        plan9="/lib/cache",
        xdg="XDG_CACHE_HOME",
        home="/.cache",
    )


def goroot_for_go_env(
    environ: Mapping[str, str],
    goenv_file: str | None,
    goroot: str | None,
    goos: str | None = None,
) -> str | None:
    """The GOROOT whose go.env the go command reads (None when unknown).

    A GOROOT line in the user's go/env file wins here, then $GOROOT, then the
    GOROOT the binary finds for itself (``goroot``).
    """
    osx = _OS(goos or host_goos())
    user = parse_env_file(goenv_file) if goenv_file is not None else {}
    value = user.get("GOROOT", "") or environ.get("GOROOT", "")
    if value:
        return osx.clean(value)
    return goroot
