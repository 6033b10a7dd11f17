"""GOPROXY lists, read as the go command's modfetch ``proxyList`` reads them.

Entries are separated by ``,`` (fall back to the next entry only when this one
answers 404/410 "not found") or ``|`` (fall back after any error); the separator
*after* an entry decides its behaviour. Whitespace around entries is trimmed and
empty entries are skipped. ``off`` and ``direct`` end the list: go ignores what
follows them. An entry with a ``.``, ``:`` or ``/`` that has no ``:/`` and is not
an absolute path gets ``https://`` in front. Every other entry must then be a URL
with scheme https, http or file (a file URL may have only a path).

go stops at the first bad entry and reports only it; this parser reports every
bad entry, in order, with go's words: ``errors[0]`` is what go prints.
"""

from __future__ import annotations

import ntpath
import posixpath
import sys
from dataclasses import dataclass, field
from typing import Literal

from gomod_doctor.goenv.neturl import URLError, parse
from gomod_doctor.gostrings import trim_space

EntryKind = Literal["proxy", "direct", "off"]


NO_ENTRIES = "GOPROXY list is not the empty string, but contains no entries"
#: go's error when an "off" entry stops a lookup (modfetch errProxyOff).
PROXY_OFF = "module lookup disabled by GOPROXY=off"


@dataclass(frozen=True)
class ProxyEntry:
    kind: EntryKind
    #: The entry as go keeps it: trimmed, with "https://" added when go adds it.
    url: str
    #: True for "|" after the entry: try the next entry after any error.
    #: False for "," (or the end): only after a 404/410 "not found".
    fallback_on_any_error: bool
    #: The entry's text as written (before trimming) and its place in the value.
    raw: str
    start: int
    end: int
    #: For proxies: the scheme ("https", "http", "file") and go's redacted URL.
    scheme: str = ""
    redacted: str = ""
    #: For proxies: the URL path with its trailing "/" removed; go appends
    #: "/<escaped module path>/@v/..." to it.
    base_path: str = ""

    @property
    def is_proxy(self) -> bool:
        return self.kind == "proxy"


@dataclass(frozen=True)
class ProxyError:
    message: str
    raw: str
    start: int
    end: int


@dataclass
class ProxyList:
    value: str
    entries: list[ProxyEntry] = field(default_factory=list)
    #: go's error messages; go reports the first and uses no proxy at all.
    errors: list[str] = field(default_factory=list)
    #: The same errors with where they sit in the value.
    error_spans: list[ProxyError] = field(default_factory=list)
    #: go tries GONOPROXY-matching modules directly first ("noproxy").
    noproxy: bool = False
    #: Text after an "off" or "direct" entry, which go ignores.
    ignored: str = ""
    ignored_start: int = -1

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def proxies(self) -> list[ProxyEntry]:
        return [e for e in self.entries if e.kind == "proxy"]

    @property
    def ends_with(self) -> EntryKind | None:
        """ "off" or "direct" when the list ends with that entry."""
        if self.entries and self.entries[-1].kind != "proxy":
            return self.entries[-1].kind
        return None

    @property
    def direct(self) -> bool:
        return any(e.kind == "direct" for e in self.entries)

    @property
    def off(self) -> bool:
        return any(e.kind == "off" for e in self.entries)


def _is_abs(path: str, goos: str) -> bool:
    if goos == "windows":
        # filepath.IsAbs on Windows needs a volume and a rooted path.
        drive, rest = ntpath.splitdrive(path)
        if drive.startswith(("\\\\", "//")):
            return True
        return bool(drive) and rest[:1] in ("\\", "/")
    return posixpath.isabs(path)


def _host_goos() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def parse_proxy_list(value: str, *, gonoproxy: str = "", goos: str | None = None) -> ProxyList:
    """Parse a GOPROXY value. Never raises; problems are in ``errors``.

    ``gonoproxy`` is the effective GONOPROXY: when non-empty (and GOPROXY is not
    exactly ``direct``) go first tries matching modules directly.
    """
    goos = goos or _host_goos()
    result = ProxyList(value=value)
    result.noproxy = gonoproxy != "" and value != "direct"
    pos = 0
    n = len(value)
    while pos < n:
        seps = [i for i in (value.find(",", pos), value.find("|", pos)) if i >= 0]
        if seps:
            cut = min(seps)
            raw = value[pos:cut]
            fallback = value[cut] == "|"
            start, nxt = pos, cut + 1
        else:
            raw = value[pos:]
            fallback = False
            start, nxt = pos, n
        pos = nxt
        url = trim_space(raw)
        if url == "":
            continue
        end = start + len(raw)
        if url in ("off", "direct"):
            kind: EntryKind = "off" if url == "off" else "direct"
            result.entries.append(ProxyEntry(kind, url, fallback, raw, start, end))
            if nxt < n:
                result.ignored = value[nxt:]
                result.ignored_start = nxt
            break
        if (
            any(c in url for c in ".:/")
            and ":/" not in url
            and not _is_abs(url, goos)
            and not posixpath.isabs(url)
        ):
            url = "https://" + url
        entry = _check(url, fallback, raw, start, end)
        if isinstance(entry, str):
            result.errors.append(entry)
            result.error_spans.append(ProxyError(entry, raw, start, end))
            continue
        result.entries.append(entry)
    if not result.entries and not result.errors:
        result.errors.append(NO_ENTRIES)
        result.error_spans.append(ProxyError(NO_ENTRIES, value, 0, n))
    return result


def _check(url: str, fallback: bool, raw: str, start: int, end: int) -> ProxyEntry | str:
    """newProxyRepo's validation: an entry, or go's error message."""
    try:
        u = parse(url)
    except URLError as exc:
        return str(exc)
    redacted = u.redacted()
    scheme = u.text_scheme
    if scheme in ("http", "https"):
        pass
    elif scheme == "file":
        if not u.only_path:
            return f"invalid file:// proxy URL with non-path elements: {redacted}"
    elif scheme == "":
        return f"invalid proxy URL missing scheme: {redacted}"
    else:
        return f"invalid proxy URL scheme (must be https, http, file): {redacted}"
    return ProxyEntry(
        kind="proxy",
        url=url,
        fallback_on_any_error=fallback,
        raw=raw,
        start=start,
        end=end,
        scheme=scheme,
        redacted=redacted,
        base_path=u.text_path[:-1] if u.text_path.endswith("/") else u.text_path,
    )
