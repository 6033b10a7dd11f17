"""What the HTTP client honours and how far it goes: the limits, URLs as go shows
them (credentials redacted), ``.netrc``, and the settings read from the environment
(proxies, certificates, credentials)."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gomod_doctor import __version__

USER_AGENT = f"gomod-doctor/{__version__} (a go command companion)"
MAX_REDIRECTS = 10
#: Default cap on a small response body (.info, .mod, @v/list): 16 MiB.
MAX_SMALL_BODY = 16 << 20
#: A "peek" reads a body whole up to this announced length (4 MiB).
PEEK_WHOLE = 4 << 20
#: go's codehost.MaxZipFile: 500 MiB.
MAX_ZIP = 500 << 20

ErrorKind = Literal[
    "refused",  # connection refused
    "dns",  # the host name does not resolve
    "tls",  # certificate or handshake failure
    "connect-timeout",  # no connection within the connect timeout
    "timeout",  # connected, but no (complete) answer within the total timeout
    "reset",  # connection reset by the peer
    "closed",  # the peer closed the connection without an answer
    "truncated",  # the body ended before its announced length
    "too-large",  # the body is larger than allowed
    "redirect",  # a refused or endless redirect
    "insecure-credentials",  # userinfo on a plain http URL
    "deadline",  # the overall deadline ran out (nothing is known)
    "other",  # anything else (the detail says what)
]


@dataclass(frozen=True)
class Timeouts:
    """Bounds on network work: ``connect`` and ``total`` per request, ``deadline`` for a
    whole gather (None: ``total`` + 1 s, so that a request timing out on its own is
    told apart from one cut by the deadline)."""

    connect: float = 3.0
    total: float = 5.0
    deadline: float | None = None

    @property
    def overall(self) -> float:
        return self.deadline if self.deadline is not None else self.total + 1.0


# --------------------------------------------------------------------------- URLs


def redact_goproxy(value: str) -> str:
    """A GOPROXY value with the userinfo of every URL replaced by ``xxxxx``."""
    return re.sub(
        r"[^,|]+", lambda m: safe_url(m.group(0)) if "@" in m.group(0) else m.group(0), value
    )


def safe_url(url: str) -> str:
    """``url`` with any userinfo replaced by ``xxxxx`` (for messages and logs)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc="xxxxx@" + host))


def _split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without userinfo, and the (user, password) it carried."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return clean, (urllib.parse.unquote(user), urllib.parse.unquote(password))


def host_port(url: str) -> tuple[str, str]:
    """The lowercase host (no brackets) and the port (default for the scheme)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return host, str(port)


# --------------------------------------------------------------------------- netrc


@dataclass(frozen=True)
class NetrcLine:
    machine: str
    login: str
    password: str = field(repr=False)


def parse_netrc(data: str) -> list[NetrcLine]:
    """cmd/go/internal/auth.parseNetrc: machine/login/password triples; ``default``
    ends the file; ``macdef`` bodies (up to a blank line) are skipped."""
    out: list[NetrcLine] = []
    machine = login = password = ""
    in_macro = False
    for line in data.split("\n"):
        if in_macro:
            if line == "":
                in_macro = False
            continue
        f = line.split()
        i = 0
        while i < len(f) - 1:
            key, value = f[i], f[i + 1]
            if key == "machine":
                machine, login, password = value, "", ""
            elif key == "login":
                login = value
            elif key == "password":
                password = value
            elif key == "macdef":
                in_macro = True
            if machine and login and password:
                out.append(NetrcLine(machine, login, password))
                machine = login = password = ""
            i += 2
        if i < len(f) and f[i] == "default":
            break
    return out


def netrc_path(environ: Mapping[str, str]) -> str | None:
    """Where go reads the netrc: ``$NETRC``, else ``~/.netrc`` (``_netrc`` on Windows
    when it exists)."""
    if environ.get("NETRC"):
        return environ["NETRC"]
    home = environ.get("USERPROFILE" if sys.platform.startswith("win") else "HOME", "")
    if not home:
        return None
    if sys.platform.startswith("win"):
        legacy = os.path.join(home, "_netrc")
        if os.path.exists(legacy):
            return legacy
    return os.path.join(home, ".netrc")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class HttpSettings:
    """Everything from the environment that changes how requests are made."""

    https_proxy: str = ""
    http_proxy: str = ""
    no_proxy: str = ""
    ssl_cert_file: str = ""
    ssl_cert_dir: str = ""
    goauth: str = "netrc"
    netrc: tuple[NetrcLine, ...] = field(default=(), repr=False)
    netrc_file: str = ""
    netrc_error: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HttpSettings:
        def first(*keys: str) -> str:
            for k in keys:
                v = environ.get(k, "")
                if v:
                    return v
            return ""

        http_proxy = first("HTTP_PROXY", "http_proxy")
        if environ.get("REQUEST_METHOD"):
            http_proxy = ""  # httpproxy ignores HTTP_PROXY under CGI
        goauth = environ.get("GOAUTH", "") or "netrc"
        lines: tuple[NetrcLine, ...] = ()
        netrc_file = ""
        netrc_error = ""
        if "netrc" in [w.strip() for w in goauth.split(";")]:
            path = netrc_path(environ)
            if path:
                netrc_file = path
                try:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        lines = tuple(parse_netrc(f.read(1 << 20)))
                except FileNotFoundError:
                    pass
                except OSError as e:
                    netrc_error = f"GOAUTH=netrc: {e.strerror or e}"
        return cls(
            https_proxy=first("HTTPS_PROXY", "https_proxy"),
            http_proxy=http_proxy,
            no_proxy=first("NO_PROXY", "no_proxy"),
            ssl_cert_file=environ.get("SSL_CERT_FILE", ""),
            ssl_cert_dir=environ.get("SSL_CERT_DIR", ""),
            goauth=goauth,
            netrc=lines,
            netrc_file=netrc_file,
            netrc_error=netrc_error,
        )

    def fingerprint(self) -> str:
        """A digest of every setting (credentials included, never stored in clear)."""
        h = hashlib.sha256()
        for part in (
            self.https_proxy,
            self.http_proxy,
            self.no_proxy,
            self.ssl_cert_file,
            self.ssl_cert_dir,
            self.goauth,
            self.netrc_file,
            self.netrc_error,
        ):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for line in self.netrc:
            h.update(f"{line.machine}\0{line.login}\0{line.password}\0".encode())
        return h.hexdigest()[:32]

    # --- proxies -------------------------------------------------------------------

    def proxy_for(self, url: str) -> str | None:
        """The HTTP proxy go's http.ProxyFromEnvironment picks for ``url``, or None."""
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme == "https":
            proxy = self.https_proxy
        elif scheme == "http":
            proxy = self.http_proxy
        else:
            return None
        if not proxy:
            return None
        host, port = host_port(url)
        if not _use_proxy(host, port, self.no_proxy):
            return None
        if "://" not in proxy:
            proxy = "http://" + proxy
        return proxy

    # --- credentials ------------------------------------------------------------------

    def credentials_for(self, url: str) -> tuple[str, str] | None:
        """The netrc login for an https ``url``: go's credential cache lookup, which
        matches the longest ``host[:port][/path]`` prefix that has a ``machine``."""
        if not url.startswith("https://") or not self.netrc:
            return None
        stored: dict[str, tuple[str, str]] = {}
        for line in reversed(self.netrc):  # go stores them last first: the first wins
            stored[line.machine.removeprefix("https://").rstrip("/")] = (line.login, line.password)
        clean, _ = _split_userinfo(url)
        prefix = clean.removeprefix("https://").rstrip("/")
        prefix = prefix.split("?", 1)[0].split("#", 1)[0]
        while True:
            if prefix in stored:
                return stored[prefix]
            cut = prefix.rfind("/")
            if cut < 0:
                return None
            prefix = prefix[:cut]


def _use_proxy(host: str, port: str, no_proxy: str) -> bool:
    """httpproxy's useProxy for ``host:port`` with ``NO_PROXY``."""
    if host == "localhost":
        return False
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and ip.is_loopback:
        return False
    for raw in no_proxy.split(","):
        p = raw.strip().lower()
        if not p:
            continue
        if p == "*":
            return False
        try:
            net = ipaddress.ip_network(p, strict=False) if "/" in p else None
        except ValueError:
            net = None
        if net is not None:
            if ip is not None and ip in net:
                return False
            continue
        phost, pport = p, ""
        if p.startswith("["):
            end = p.find("]")
            if end > 0:
                phost, pport = p[1:end], p[end + 2 :] if p[end + 1 : end + 2] == ":" else ""
        elif p.count(":") == 1:
            phost, pport = p.split(":")
            if not phost:
                continue
        try:
            pip = ipaddress.ip_address(phost)
        except ValueError:
            pip = None
        if pip is not None:
            if ip is not None and ip == pip and (not pport or pport == port):
                return False
            continue
        if not phost:
            continue
        if phost.startswith("*."):
            phost = phost[1:]
        match_host = not phost.startswith(".")
        if match_host:
            phost = "." + phost
        if (host.endswith(phost) or (match_host and host == phost[1:])) and (
            not pport or pport == port
        ):
            return False
    return True
