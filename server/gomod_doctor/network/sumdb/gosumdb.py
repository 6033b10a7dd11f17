"""GOSUMDB, read as ``modfetch.dbDial`` reads it: the database's name, key and URL."""

from __future__ import annotations

from dataclasses import dataclass

from gomod_doctor.goenv.neturl import URL, URLError
from gomod_doctor.goenv.neturl import parse as parse_url
from gomod_doctor.gostrings import fields
from gomod_doctor.network.http.settings import safe_url
from gomod_doctor.network.sumdb import note as notes

SUM_GOLANG_ORG_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
#: The keys go knows by name (modfetch ``knownGOSUMDB``).
KNOWN_GOSUMDB = {"sum.golang.org": SUM_GOLANG_ORG_KEY}

# --------------------------------------------------------------------------- GOSUMDB


class GoSumDBError(ValueError):
    """An unusable GOSUMDB setting; ``str(err)`` is the go command's message."""


@dataclass(frozen=True)
class GoSumDB:
    """A checksum database: its ``name``, verifier ``key`` and, when GOSUMDB gives
    one, the ``url`` to reach it at (bypassing proxies)."""

    name: str
    key: str
    url: str | None = None

    @property
    def direct_url(self) -> str:
        """Where go reaches the database when no proxy serves it."""
        return self.url if self.url is not None else f"https://{self.name}"


def _go_url_struct(u: URL) -> str:
    """Go's ``%+v`` of a ``url.URL`` (``User`` prints with its String method)."""
    user = "" if u.user is None else u.user.string()
    return (
        f"{{Scheme:{u.text_scheme} Opaque:{u.opaque} User:{user} Host:{u.text_host} "
        f"Path:{u.text_path} Fragment:{u.fragment} RawQuery:{u.raw_query} "
        f"RawPath:{u.raw_path} RawFragment:{u.raw_fragment} "
        f"ForceQuery:{str(u.force_query).lower()} OmitHost:{str(u.omit_host).lower()}}}"
    )


def parse_gosumdb(value: str) -> GoSumDB | None:
    """The database a GOSUMDB value names, or ``None`` for ``off``.

    Accepts ``sum.golang.org`` (the built-in key), ``sum.golang.google.cn`` (the
    same database at https://sum.golang.google.cn), a verifier key
    ``name+hash+key``, and either followed by a URL. Raises :class:`GoSumDBError`
    with go's message otherwise (``missing GOSUMDB``, ``invalid GOSUMDB: too many
    fields``, ``invalid GOSUMDB: malformed verifier id``, ``invalid sumdb name
    (must be host[/path]): ...``, ``invalid GOSUMDB URL: ...``).
    """
    if value == "sum.golang.google.cn":
        value = "sum.golang.org https://sum.golang.google.cn"
    if value == "off":
        return None
    key = fields(value)
    if key and key[0] in KNOWN_GOSUMDB:
        key[0] = KNOWN_GOSUMDB[key[0]]
    if not key:
        raise GoSumDBError("missing GOSUMDB")
    if len(key) > 2:
        raise GoSumDBError("invalid GOSUMDB: too many fields")
    try:
        verifier = notes.new_verifier(key[0])
    except notes.NoteError as exc:
        raise GoSumDBError(f"invalid GOSUMDB: {exc}") from None
    name = verifier.name
    try:
        direct: URL | None = parse_url("https://" + name)
    except URLError:
        direct = None
    if (
        direct is None
        or name.endswith("/")
        or direct
        != URL(scheme="https", host=direct.host, path=direct.path, raw_path=direct.raw_path)
        or direct.raw_path != ""
        or direct.host == ""
    ):
        shown = _go_url_struct(direct) if direct is not None else "<nil>"
        raise GoSumDBError(f"invalid sumdb name (must be host[/path]): {name} {shown}")
    url: str | None = None
    if len(key) >= 2:
        try:
            parse_url(key[1])
        except URLError as exc:
            raise GoSumDBError(f"invalid GOSUMDB URL: {exc}") from None
        url = key[1]
    return GoSumDB(name=name, key=key[0], url=url)


def parse_setting(value: str) -> tuple[GoSumDB | None, str]:
    """The database GOSUMDB names (None: off or unusable) and go's error for an
    unusable one (``invalid GOSUMDB: ...``, which go prints after ``M@V: verifying
    go.mod: ``; "" otherwise)."""
    try:
        return parse_gosumdb(value), ""
    except GoSumDBError as e:
        return None, str(e)


def redact_gosumdb(value: str) -> str:
    """GOSUMDB with the credentials of its URL (if any) redacted."""
    return " ".join(safe_url(f) if "://" in f else f for f in value.split())
