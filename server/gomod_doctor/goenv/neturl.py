"""The parts of Go's ``net/url`` that GOPROXY validation depends on.

``Parse`` (with its exact error texts), ``String`` and ``Redacted``, working on
UTF-8 bytes as Go does. Internally a "byte string" is a ``str`` whose characters
are the bytes (latin-1 code points); the public functions take and return normal
text (invalid UTF-8 travels as ``surrogateescape`` surrogates).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gomod_doctor.module.goquote import go_quote

# Encoding modes (net/url's encoding constants).
PATH = 1
PATH_SEGMENT = 2
HOST = 4
ZONE = 8
USER_PASSWORD = 16
QUERY_COMPONENT = 32
FRAGMENT = 64

_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


class URLError(Exception):
    """A parse failure; ``str(err)`` is the message Go's error would print."""


class _Err(Exception):
    pass


def _to_bytes_str(s: str) -> str:
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


def _from_bytes_str(b: str) -> str:
    return b.encode("latin-1").decode("utf-8", "surrogateescape")


def _q(b: str) -> str:
    return go_quote(_from_bytes_str(b))


def should_escape(c: str, mode: int) -> bool:
    if c in _ALNUM:
        return False
    if mode in (HOST, ZONE) and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        if mode == PATH:
            return c == "?"
        if mode == PATH_SEGMENT:
            return c in "/;,?"
        if mode == USER_PASSWORD:
            return c in "@/?:"
        if mode == QUERY_COMPONENT:
            return True
        if mode == FRAGMENT:
            return False
    return not (mode == FRAGMENT and c in "!()*")


def _unhex(c: str) -> int:
    return int(c, 16)


def unescape(s: str, mode: int) -> str:
    n = 0
    has_plus = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            n += 1
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _Err("invalid URL escape " + _q(s[i : i + 3]))
            if mode == HOST and _unhex(s[i + 1]) < 8 and s[i : i + 3] != "%25":
                raise _Err("invalid URL escape " + _q(s[i : i + 3]))
            if mode == ZONE:
                v = chr(_unhex(s[i + 1]) << 4 | _unhex(s[i + 2]))
                if s[i : i + 3] != "%25" and v != " " and should_escape(v, HOST):
                    raise _Err("invalid URL escape " + _q(s[i : i + 3]))
            i += 3
        elif c == "+":
            has_plus = mode == QUERY_COMPONENT
            i += 1
        else:
            if mode in (HOST, ZONE) and ord(c) < 0x80 and should_escape(c, mode):
                raise _Err("invalid character " + _q(c) + " in host name")
            i += 1
    if n == 0 and not has_plus:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            out.append(chr(_unhex(s[i + 1]) << 4 | _unhex(s[i + 2])))
            i += 3
            continue
        if c == "+":
            out.append(" " if mode == QUERY_COMPONENT else "+")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def escape(s: str, mode: int) -> str:
    out: list[str] = []
    for c in s:
        if c == " " and mode == QUERY_COMPONENT:
            out.append("+")
        elif should_escape(c, mode):
            out.append(f"%{ord(c):02X}")
        else:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class _User:
    username: str
    password: str
    password_set: bool

    def string(self) -> str:
        s = escape(self.username, USER_PASSWORD)
        if self.password_set:
            s += ":" + escape(self.password, USER_PASSWORD)
        return s


@dataclass(frozen=True)
class URL:
    """A parsed URL; string fields hold bytes (see the module docstring)."""

    scheme: str = ""
    opaque: str = ""
    user: _User | None = None
    host: str = ""
    path: str = ""
    raw_path: str = ""
    fragment: str = ""
    raw_fragment: str = ""
    raw_query: str = ""
    force_query: bool = False
    omit_host: bool = False

    @property
    def only_path(self) -> bool:
        """Whether the URL has nothing but a scheme and a path (file:// proxy rule)."""
        return self == URL(scheme=self.scheme, path=self.path, raw_path=self.raw_path)

    @property
    def text_scheme(self) -> str:
        return _from_bytes_str(self.scheme)

    @property
    def text_path(self) -> str:
        return _from_bytes_str(self.path)

    @property
    def text_host(self) -> str:
        return _from_bytes_str(self.host)

    def escaped_path(self) -> str:
        if self.raw_path and _valid_encoded(self.raw_path, PATH):
            try:
                p = unescape(self.raw_path, PATH)
            except _Err:
                p = None
            if p == self.path:
                return self.raw_path
        if self.path == "*":
            return "*"
        return escape(self.path, PATH)

    def escaped_fragment(self) -> str:
        if self.raw_fragment and _valid_encoded(self.raw_fragment, FRAGMENT):
            try:
                f = unescape(self.raw_fragment, FRAGMENT)
            except _Err:
                f = None
            if f == self.fragment:
                return self.raw_fragment
        return escape(self.fragment, FRAGMENT)

    def _string(self) -> str:
        buf: list[str] = []
        if self.scheme:
            buf.append(self.scheme + ":")
        if self.opaque:
            buf.append(self.opaque)
        else:
            has_authority = self.scheme or self.host or self.user is not None
            if has_authority and not (self.omit_host and not self.host and self.user is None):
                if self.host or self.path or self.user is not None:
                    buf.append("//")
                if self.user is not None:
                    buf.append(self.user.string() + "@")
                if self.host:
                    buf.append(escape(self.host, HOST))
            path = self.escaped_path()
            if self.omit_host and not self.host and self.user is None and path.startswith("//"):
                buf.append("%2F")
                path = path[1:]
            if path and path[0] != "/" and self.host:
                buf.append("/")
            if not "".join(buf):
                segment = path.split("/", 1)[0]
                if ":" in segment:
                    buf.append("./")
            buf.append(path)
        if self.force_query or self.raw_query:
            buf.append("?" + self.raw_query)
        if self.fragment:
            buf.append("#" + self.escaped_fragment())
        return "".join(buf)

    def string(self) -> str:
        return _from_bytes_str(self._string())

    def redacted(self) -> str:
        u = self
        if u.user is not None and u.user.password_set:
            u = replace(u, user=_User(u.user.username, "xxxxx", True))
        return u.string()


def _valid_encoded(s: str, mode: int) -> bool:
    for c in s:
        if c in "!$&'()*+,;=:@[]%":
            continue
        if should_escape(c, mode):
            return False
    return True


def _get_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if "a" <= c <= "z" or "A" <= c <= "Z":
            continue
        if "0" <= c <= "9" or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise _Err("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    if port[0] != ":":
        return False
    return all("0" <= c <= "9" for c in port[1:])


def _valid_userinfo(s: str) -> bool:
    # Go ranges over runes here; non-ASCII runes are never allowed.
    return all(c in _ALNUM or c in "-._:~!$&'()*+,;=%@" for c in s)


def _parse_host(scheme: str, host: str) -> str:
    open_idx = host.rfind("[")
    if open_idx > 0:
        raise _Err("invalid IP-literal")
    if open_idx == 0:
        close_idx = host.rfind("]")
        if close_idx < 0:
            raise _Err("missing ']' in host")
        colon_port = host[close_idx + 1 :]
        if not _valid_optional_port(colon_port):
            raise _Err(f"invalid port {_q(colon_port)} after host")
        unescaped_port = unescape(colon_port, HOST)
        hostname = host[1:close_idx]
        zone_idx = hostname.find("%25")
        if zone_idx >= 0:
            unescaped = unescape(hostname[:zone_idx], HOST) + unescape(hostname[zone_idx:], ZONE)
        else:
            unescaped = unescape(hostname, HOST)
        is4 = _parse_addr(unescaped)
        if is4:
            raise _Err("invalid IP-literal")
        return "[" + unescaped + "]" + unescaped_port
    i = host.find(":")
    if i != -1:
        last = host.rfind(":")
        # urlstrictcolons=1 (the default since Go 1.26): only http(s) stays strict.
        if last != i and scheme not in ("http", "https"):
            i = last
        colon_port = host[i:]
        if not _valid_optional_port(colon_port):
            raise _Err(f"invalid port {_q(colon_port)} after host")
    return unescape(host, HOST)


def _parse_authority(scheme: str, authority: str) -> tuple[_User | None, str]:
    i = authority.rfind("@")
    host = _parse_host(scheme, authority if i < 0 else authority[i + 1 :])
    if i < 0:
        return None, host
    userinfo = authority[:i]
    if not _valid_userinfo(userinfo):
        raise _Err("net/url: invalid userinfo")
    if ":" not in userinfo:
        return _User(unescape(userinfo, USER_PASSWORD), "", False), host
    username, password = userinfo.split(":", 1)
    return _User(unescape(username, USER_PASSWORD), unescape(password, USER_PASSWORD), True), host


def _parse(raw: str) -> URL:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise _Err("net/url: invalid control character in URL")
    if raw == "*":
        return URL(path="*")
    scheme, rest = _get_scheme(raw)
    scheme = scheme.lower()
    force_query = False
    raw_query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        force_query = True
        rest = rest[:-1]
    elif "?" in rest:
        rest, raw_query = rest.split("?", 1)
    if not rest.startswith("/"):
        if scheme:
            return URL(scheme=scheme, opaque=rest, raw_query=raw_query, force_query=force_query)
        segment = rest.split("/", 1)[0]
        if ":" in segment:
            raise _Err("first path segment in URL cannot contain colon")
    user: _User | None = None
    host = ""
    omit_host = False
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, rest = rest[2:], ""
        slash = authority.find("/")
        if slash >= 0:
            authority, rest = authority[:slash], authority[slash:]
        user, host = _parse_authority(scheme, authority)
    elif scheme and rest.startswith("/"):
        omit_host = True
    path = unescape(rest, PATH)
    raw_path = "" if escape(path, PATH) == rest else rest
    return URL(
        scheme=scheme,
        user=user,
        host=host,
        path=path,
        raw_path=raw_path,
        raw_query=raw_query,
        force_query=force_query,
        omit_host=omit_host,
    )


def parse(raw_url: str) -> URL:
    """Go's ``url.Parse``; raises :class:`URLError` with Go's message."""
    raw = _to_bytes_str(raw_url)
    u, sep, frag = raw.partition("#")
    try:
        url = _parse(u)
    except _Err as exc:
        raise URLError(f"parse {_q(u)}: {exc}") from None
    if not sep or frag == "":
        return url
    try:
        fragment = unescape(frag, FRAGMENT)
    except _Err as exc:
        raise URLError(f"parse {_q(raw)}: {exc}") from None
    raw_fragment = "" if escape(fragment, FRAGMENT) == frag else frag
    return replace(url, fragment=fragment, raw_fragment=raw_fragment)


# --- net/netip.ParseAddr, for "[...]" host literals -----------------------------


def _addr_error(inp: str, msg: str, at: str = "") -> _Err:
    text = f"ParseAddr({_q(inp)}): {msg}"
    if at:
        text += f" (at {_q(at)})"
    return _Err(f"invalid host: {text}")


def _parse_ipv4_fields(inp: str, off: int, end: int) -> None:
    s = inp[off:end]
    val = 0
    pos = 0
    dig_len = 0
    for i, c in enumerate(s):
        if "0" <= c <= "9":
            if dig_len == 1 and val == 0:
                raise _addr_error(inp, "IPv4 field has octet with leading zero")
            val = val * 10 + ord(c) - ord("0")
            dig_len += 1
            if val > 255:
                raise _addr_error(inp, "IPv4 field has value >255")
        elif c == ".":
            if i == 0 or i == len(s) - 1 or s[i - 1] == ".":
                raise _addr_error(inp, "IPv4 field must have at least one digit", s[i:])
            if pos == 3:
                raise _addr_error(inp, "IPv4 address too long")
            pos += 1
            val = 0
            dig_len = 0
        else:
            raise _addr_error(inp, "unexpected character", s[i:])
    if pos < 3:
        raise _addr_error(inp, "IPv4 address too short")


def _parse_ipv6(inp: str) -> None:
    s = inp
    zone = ""
    pct = s.find("%")
    if pct != -1:
        s, zone = s[:pct], s[pct + 1 :]
        if zone == "":
            raise _addr_error(inp, "zone must be a non-empty string")
    ellipsis = -1
    if len(s) >= 2 and s[0] == ":" and s[1] == ":":
        ellipsis = 0
        s = s[2:]
        if not s:
            return
    i = 0
    while i < 16:
        off = 0
        acc = 0
        while off < len(s):
            c = s[off]
            if c in _HEX:
                acc = (acc << 4) + int(c, 16)
            else:
                break
            if off > 3:
                raise _addr_error(inp, "each group must have 4 or less digits", s)
            if acc > 0xFFFF:
                raise _addr_error(inp, "IPv6 field has value >=2^16", s)
            off += 1
        if off == 0:
            raise _addr_error(inp, "each colon-separated field must have at least one digit", s)
        if off < len(s) and s[off] == ".":
            if ellipsis < 0 and i != 12:
                raise _addr_error(
                    inp, "embedded IPv4 address must replace the final 2 fields of the address", s
                )
            if i + 4 > 16:
                raise _addr_error(
                    inp,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                )
            end = len(inp)
            if zone:
                end -= len(zone) + 1
            _parse_ipv4_fields(inp, end - len(s), end)
            s = ""
            i += 4
            break
        i += 2
        s = s[off:]
        if not s:
            break
        if s[0] != ":":
            raise _addr_error(inp, "unexpected character, want colon", s)
        if len(s) == 1:
            raise _addr_error(inp, "colon must be followed by more characters", s)
        s = s[1:]
        if s[0] == ":":
            if ellipsis >= 0:
                raise _addr_error(inp, "multiple :: in address", s)
            ellipsis = i
            s = s[1:]
            if not s:
                break
    if s:
        raise _addr_error(inp, "trailing garbage after address", s)
    if i < 16:
        if ellipsis < 0:
            raise _addr_error(inp, "address string too short")
    elif ellipsis >= 0:
        raise _addr_error(inp, "the :: must expand to at least one field of zeros")


def _parse_addr(s: str) -> bool:
    """Validate an IP address as netip.ParseAddr does; True when it is IPv4."""
    for c in s:
        if c == ".":
            _parse_ipv4_fields(s, 0, len(s))
            return True
        if c == ":":
            _parse_ipv6(s)
            return False
        if c == "%":
            raise _addr_error(s, "missing IPv6 address")
    raise _addr_error(s, "unable to parse IP")
