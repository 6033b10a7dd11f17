"""Go's ``h1:`` hashes (golang.org/x/mod/sumdb/dirhash ``Hash1``), computed fast.

``Hash1`` over a list of files is ``"h1:" + base64(sha256(summary))`` where the
summary has one line ``"<sha256 hex of content>  <name>\\n"`` per file, ordered by
byte-wise comparison of the names (Go's ``slices.Sort`` on strings).

* :func:`hash_zip` is ``dirhash.HashZip``: the names and contents of a module zip.
* :func:`hash_dir` is ``dirhash.HashDir``: the files of an extracted module
  directory, named ``prefix/relpath``.
* :func:`hash_gomod` is modfetch's ``goModSum``: ``Hash1`` over the single file
  named ``go.mod`` (the ``/go.mod`` line of go.sum).
* :func:`zip_entries` and :func:`dir_entries` give the per-file ``(size, sha256)``
  behind those hashes, under the same names, so that an extracted directory can be
  compared with its zip file by file.

Reading zips
------------
Go reads the zip with ``archive/zip``. We read the end record and the central
directory once (in one read, usually), then, visiting members in file order,
inflate each one with ``zlib.decompressobj(-15)`` (ISA-L's when the ``isal``
package is there) straight from the raw local-file data into ``hashlib.sha256``.
Input is read through a bounded window and output is produced in bounded pieces,
so memory stays bounded for any zip size or compression ratio. Small members (up
to 16 KB compressed, most of a module's files) are inflated in one call instead,
which spares ISA-L the set-up of a decompressor object; deflate expands at most
1032:1, so that output is bounded too (16.5 MB). Both ``zlib`` and ``hashlib``
release the GIL on large buffers, so several zips can be hashed in threads at
once.

We keep archive/zip's structural checks (they are cheap): the end record (zip64
too) and the base-offset correction, the local header signature, the compression
method (store or deflate, else "unsupported compression algorithm"), a deflate
stream that ends, an uncompressed length equal to the recorded size, a directory
entry (name ending in ``/``) with no content, and no newline in a name.

CRC-32 is the one deliberate difference. archive/zip checks each member's CRC-32
(against the data descriptor's too, if there is one) and HashZip fails with
"zip: checksum error" on a mismatch. Checking costs an extra pass over every
uncompressed byte (about 40% of the SHA-256 cost), and it can only disagree with
the content hash when nothing but a stored CRC field was altered: any change to
the content changes the ``h1:`` hash anyway. So by default we skip it; pass
``verify_crc=True`` to check exactly as archive/zip does.

Reading directories
-------------------
As ``dirhash.DirFiles`` (``filepath.Walk``, which uses ``lstat``): directories are
descended, every other entry is a file. A symlink is not followed while walking
(a symlink to a directory is listed as a file), but its target is read when it is
hashed, as ``os.Open`` does: a symlink to a regular file hashes the target's
content, a symlink to a directory or a dangling one is an error. The root itself is
``lstat``-ed, so a root that is a symlink (or not a directory) is an error. Go
would block reading a FIFO or read a device forever; we raise an error instead for
anything that is not a regular file (after following symlinks). The walk is
:mod:`gomod_doctor.cache.dirwalk`'s, which full verification uses too.

Over the size guide, as one unit: x/mod's dirhash with the zip reader it runs on.
The reader exists only to feed Hash1 and shares its window, limits and inflaters
(which tests replace through this module); the directory half is short.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import posixpath
import stat
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple, cast

from gomod_doctor.cache.dirwalk import walk_dir

__all__ = [
    "ZipError",
    "ZipMember",
    "dir_entries",
    "dir_files",
    "hash1",
    "hash1_under",
    "hash_dir",
    "hash_gomod",
    "hash_zip",
    "read_zip_members",
    "zip_entries",
]

# A file's entry: (uncompressed size, sha256 hex of the content).
Entry = tuple[int, str]

_WINDOW = 1 << 20  # bytes of zip read per system call (at most)
_OUT_CHUNK = 1 << 20  # bytes of inflated output per zlib call (at most)
_ONESHOT_CSIZE = 16 << 10  # members up to this compressed size are inflated at once
_ONESHOT_OUT = 1032 * _ONESHOT_CSIZE  # the most they can inflate to (deflate's 1032:1)

_EOCD = struct.Struct("<IHHHHIIH")  # end of central directory record, 22 bytes
_EOCD_SIG = 0x06054B50
_LOC64 = struct.Struct("<IIQI")  # zip64 end of central directory locator, 20 bytes
_LOC64_SIG = 0x07064B50
_EOCD64 = struct.Struct("<IQHHIIQQQQ")  # zip64 end of central directory record, 56 bytes
_EOCD64_SIG = 0x06064B50
_CDH = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header, 46 bytes
_CDH_SIG = 0x02014B50
_LFH_LEN = 30
_LFH_SIG = b"PK\x03\x04"
_DD_SIG = 0x08074B50
_U16 = struct.Struct("<HH")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

_STORE = 0
_DEFLATE = 8
_EMPTY_SHA256 = hashlib.sha256().digest()

# Inflating is most of the cost of hashing a zip. ISA-L's inflate (the optional
# ``isal`` package, a drop-in for zlib's API) is about twice as fast as zlib's.
_inflate: Any
try:
    _inflate = importlib.import_module("isal.isal_zlib")
    _INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflate.error)
except ImportError:
    _inflate = zlib
    _INFLATE_ERRORS = (zlib.error,)
INFLATE_BACKEND: str = _inflate.__name__

# A member inflated whole (most are, in module zips) goes through libdeflate (the
# optional ``deflate`` package) when it is there: about a fifth faster again.
_one_shot: Callable[[Any, int], bytes | bytearray] | None
try:
    _libdeflate = importlib.import_module("deflate")
    _one_shot = _libdeflate.deflate_decompress
    _ONE_SHOT_ERRORS: tuple[type[Exception], ...] = (_libdeflate.DeflateError, ValueError)
    INFLATE_BACKEND = f"libdeflate + {INFLATE_BACKEND}"
except (ImportError, AttributeError):
    _one_shot = None
    _ONE_SHOT_ERRORS = ()


class ZipError(ValueError):
    """The zip file cannot be hashed (archive/zip would fail to read it)."""


FORMAT_ERROR = "zip: not a valid zip file"
CHECKSUM_ERROR = "zip: checksum error"
ALGORITHM_ERROR = "zip: unsupported compression algorithm"
UNEXPECTED_EOF = "unexpected EOF"
NEWLINE_ERROR = "dirhash: filenames with newlines are not supported"


class ZipMember(NamedTuple):
    """One central-directory entry, as archive/zip reads it."""

    raw_name: bytes
    flags: int
    method: int
    crc32: int
    compressed_size: int
    size: int
    header_offset: int  # absolute offset of the local file header

    @property
    def name(self) -> str:
        """The name as text (invalid UTF-8 bytes kept as surrogates, as ``os`` does)."""
        return self.raw_name.decode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- Hash1


def _fsname(name: str | bytes) -> bytes:
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


def _h1_of(summary: bytes) -> str:
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode("ascii")


def _ascii_names(names: list[Any]) -> bool:
    """All names are ``str`` and ASCII: then str order is byte order (and the
    summary can be built as text). A newline among them is an error."""
    try:
        joined = "".join(names)
    except TypeError:  # some are bytes
        return False
    if "\n" in joined:
        raise ValueError(NEWLINE_ERROR)
    return joined.isascii()


def hash1(files: Iterable[tuple[str | bytes, bytes]]) -> str:
    """``dirhash.Hash1`` from ``(name, sha256 digest of content)`` pairs.

    Names are sorted byte-wise; a name containing a newline is an error.
    """
    items = list(files)
    if _ascii_names([n for n, _ in items]):
        # The common case, about twice as fast: one text join, one encode.
        text = cast("list[tuple[str, bytes]]", items)
        text.sort()
        return _h1_of("".join([f"{d.hex()}  {n}\n" for n, d in text]).encode("ascii"))
    pairs = sorted((_fsname(n), d) for n, d in items)
    summary = bytearray()
    for name, digest in pairs:
        if b"\n" in name:
            raise ValueError(NEWLINE_ERROR)
        summary += digest.hex().encode("ascii")
        summary += b"  "
        summary += name
        summary += b"\n"
    return _h1_of(bytes(summary))


def hash1_under(prefix: str, digests: Mapping[str, bytes]) -> str:
    """:func:`hash1` of the files ``prefix + "/" + rel`` with the digests
    ``{rel: sha256}`` (an extracted directory's), without building every name
    when they are ASCII (a shared prefix does not change their order)."""
    rels = sorted(digests)
    if not _ascii_names(rels) or not prefix.isascii() or "\n" in prefix:
        return hash1((f"{prefix}/{r}", digests[r]) for r in rels)
    head = f"  {prefix}/"
    return _h1_of("".join([f"{digests[r].hex()}{head}{r}\n" for r in rels]).encode("ascii"))


def hash_gomod(data: bytes, module_path_at_version: str | None = None) -> str:
    """The go.sum ``/go.mod`` hash of a go.mod file's content (modfetch ``goModSum``).

    Go hashes the content under the bare name ``go.mod`` whatever the module, so
    ``module_path_at_version`` does not affect the result; it is accepted only so
    that callers may pass it.
    """
    del module_path_at_version
    return hash1([(b"go.mod", hashlib.sha256(data).digest())])


# --------------------------------------------------------------------------- zips


def _pread_exact(fd: int, n: int, offset: int) -> bytes:
    """Up to ``n`` bytes at ``offset``; fewer only at end of file."""
    data = os.pread(fd, n, offset)
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = os.pread(fd, n - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _find_eocd(block: bytes) -> int:
    """archive/zip findSignatureInBlock: the last end record whose comment fits."""
    i = block.rfind(b"PK\x05\x06", 0, max(0, len(block) - _EOCD.size + 4))
    if i < 0:
        return -1
    (comment_len,) = struct.unpack_from("<H", block, i + _EOCD.size - 2)
    if comment_len + _EOCD.size + i > len(block):
        return -1  # truncated comment: archive/zip gives up here too
    return i


class _Window:
    """Reads byte ranges of a file through one bounded buffer (few system calls
    when the ranges are visited in increasing order, as zip members are)."""

    __slots__ = ("buf", "fd", "off")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""
        self.off = 0

    def get(self, start: int, n: int) -> memoryview:
        """Bytes ``[start, start+n)``, fewer at end of file. ``n`` <= window size."""
        if start >= self.off and start + n <= self.off + len(self.buf):
            i = start - self.off
            return memoryview(self.buf)[i : i + n]
        self.buf = _pread_exact(self.fd, max(n, _WINDOW), start)
        self.off = start
        return memoryview(self.buf)[:n]

    def chunks(self, start: int, n: int) -> Iterator[memoryview]:
        """Bytes ``[start, start+n)`` in pieces; stops early at end of file."""
        while n > 0:
            want = min(n, _WINDOW)
            piece = self.get(start, want)
            if piece:
                yield piece
            if len(piece) < want:
                return  # end of file
            start += want
            n -= want


def _zip64_values(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Apply a zip64 extra field to the values that are maxed out (in the order
    uncompressed size, compressed size, header offset), as archive/zip does."""
    i = 0
    while len(extra) - i >= 4:
        tag, fsize = _U16.unpack_from(extra, i)
        i += 4
        if len(extra) - i < fsize:
            break
        field = extra[i : i + fsize]
        i += fsize
        if tag != 0x0001:
            continue
        values = [usize, csize, offset]
        j = 0
        for k in range(3):
            if values[k] != 0xFFFFFFFF:
                continue
            if len(field) - j < 8:
                raise ZipError(FORMAT_ERROR)
            (values[k],) = _U64.unpack_from(field, j)
            j += 8
        usize, csize, offset = values
    return usize, csize, offset


def _parse_cdh(win: _Window, pos: int) -> tuple[ZipMember, int] | None:
    """The directory header at ``pos`` and the position after it; ``None`` if
    there is no complete header there (archive/zip stops reading there)."""
    head = win.get(pos, 46)
    if len(head) < 46:
        return None
    (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _, offset) = (
        _CDH.unpack_from(head)
    )
    if sig != _CDH_SIG:
        return None
    var_len = nlen + xlen + clen
    var = win.get(pos + 46, var_len)
    if len(var) < var_len:
        return None
    if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        usize, csize, offset = _zip64_values(bytes(var[nlen : nlen + xlen]), usize, csize, offset)
    member = ZipMember(bytes(var[:nlen]), flags, method, crc, csize, usize, offset)
    return member, pos + 46 + var_len


def _parse_directory(block: bytes, pos: int, base: int) -> tuple[list[ZipMember], int]:
    """The directory headers read in one go (``block``, read at ``pos``): as
    :func:`_parse_cdh` in a loop, without a window. Returns them and the position
    where parsing stopped: a header that does not start with the signature, or
    that does not fit in ``block`` (then the caller goes on through the window)."""
    members: list[ZipMember] = []
    unpack = _CDH.unpack_from
    n = len(block)
    p = 0
    while p + 46 <= n:
        (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _, offset) = (
            unpack(block, p)
        )
        if sig != _CDH_SIG:
            break
        q = p + 46
        end = q + nlen + xlen + clen
        if end > n:
            break
        if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            usize, csize, offset = _zip64_values(
                block[q + nlen : q + nlen + xlen], usize, csize, offset
            )
        members.append(
            ZipMember(block[q : q + nlen], flags, method, crc, csize, usize, offset + base)
        )
        p = end
    return members, pos + p


def _read_members(fd: int, size: int) -> list[ZipMember]:
    """archive/zip ``Reader.init``: the end record, then the central directory."""
    block = b""
    eocd_at = -1
    for i, want in enumerate((1024, 65 * 1024)):
        n = min(want, size)
        block = _pread_exact(fd, n, size - n)
        p = _find_eocd(block)
        if p >= 0:
            eocd_at = size - n + p
            block = block[p:]
            break
        if i == 1 or n == size:
            raise ZipError(FORMAT_ERROR)
    (_sig, _disk, _cd_disk, _n_this, n_records, cd_size, cd_offset, _clen) = _EOCD.unpack_from(
        block, 0
    )
    end_at = eocd_at
    if n_records == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc_at = eocd_at - _LOC64.size
        if loc_at >= 0:
            loc = _pread_exact(fd, _LOC64.size, loc_at)
            if len(loc) < _LOC64.size:
                raise ZipError(UNEXPECTED_EOF)
            sig, disk, rec_at, disks = _LOC64.unpack_from(loc, 0)
            if sig == _LOC64_SIG and disk == 0 and disks == 1:
                rec = _pread_exact(fd, _EOCD64.size, rec_at)
                if len(rec) < _EOCD64.size:
                    raise ZipError(UNEXPECTED_EOF)
                fields = _EOCD64.unpack_from(rec, 0)
                if fields[0] != _EOCD64_SIG:
                    raise ZipError(FORMAT_ERROR)
                n_records, cd_size, cd_offset = fields[7], fields[8], fields[9]
                end_at = rec_at
    if cd_size >= 1 << 63 or cd_offset >= 1 << 63:
        raise ZipError(FORMAT_ERROR)
    base = end_at - cd_size - cd_offset
    if not 0 <= base + cd_offset < size:
        raise ZipError(FORMAT_ERROR)
    win = _Window(fd)
    if base > 0:
        # A bogus base offset: prefer 0 if a directory header is found there.
        try:
            if _parse_cdh(win, cd_offset) is not None:
                base = 0
        except ZipError:
            pass
    # archive/zip reads headers until one fails to parse, then checks the count
    # modulo 65536 (the 16-bit count is often truncated).
    pos = base + cd_offset
    members, pos = _parse_directory(
        _pread_exact(fd, min(size - pos, cd_size + 4096, 64 << 20), pos), pos, base
    )
    while True:
        parsed = _parse_cdh(win, pos)
        if parsed is None:
            break
        member, pos = parsed
        if base:
            member = member._replace(header_offset=member.header_offset + base)
        members.append(member)
    if len(members) & 0xFFFF != n_records & 0xFFFF:
        raise ZipError(FORMAT_ERROR)
    return members


def _member_digest(win: _Window, m: ZipMember, verify_crc: bool) -> bytes:
    """sha256 of a member's content, with archive/zip's File.Open checks."""
    return _member_content(win, m, verify_crc)[0]


def _member_content(
    win: _Window, m: ZipMember, verify_crc: bool
) -> tuple[bytes, bytes | bytearray | None]:
    """:func:`_member_digest`, and the content itself when it was inflated in one
    piece (members under a MiB or so; ``None`` for the larger ones, streamed)."""
    raw_name, flags, method, crc32, csize, size, offset = m
    head = win.get(offset, _LFH_LEN)
    if len(head) < _LFH_LEN:
        raise ZipError(UNEXPECTED_EOF)
    if head[:4] != _LFH_SIG:
        raise ZipError(FORMAT_ERROR)
    nlen, xlen = _U16.unpack_from(head, 26)
    if raw_name.endswith(b"/"):
        if size != 0:
            raise ZipError(FORMAT_ERROR)
        return _EMPTY_SHA256, None
    data_at = offset + _LFH_LEN + nlen + xlen
    if (
        _one_shot is not None
        and method == _DEFLATE
        and csize <= _WINDOW
        and size < _OUT_CHUNK
        and not verify_crc
    ):
        # libdeflate inflates a whole member into a buffer of its recorded size,
        # faster than a streaming inflater. Anything wrong (the output would be
        # longer or shorter, the data is corrupt): the paths below say what.
        try:
            out = _one_shot(win.get(data_at, csize), size)
        except _ONE_SHOT_ERRORS:
            pass
        else:
            if len(out) == size:
                return hashlib.sha256(out).digest(), out
    if method == _DEFLATE and csize <= _ONESHOT_CSIZE and not verify_crc:
        # Most members are small: inflated in one call without a decompressor
        # object (whose set-up costs ISA-L more than inflating a small member).
        # Deflate expands at most 1032:1, so the output stays bounded. Should
        # anything be wrong, the streaming path below says what, in go's words.
        try:
            out = _inflate.decompress(win.get(data_at, csize), -15, min(size, _ONESHOT_OUT) or 1)
        except _INFLATE_ERRORS:
            pass
        else:
            if len(out) == size:
                return hashlib.sha256(out).digest(), out
    elif method == _DEFLATE and csize <= _WINDOW and size < _OUT_CHUNK and not verify_crc:
        # One inflate call, its output bounded by the recorded size plus one
        # byte (more is the same error as below: too much output).
        d = _inflate.decompressobj(-15)
        try:
            out = d.decompress(win.get(data_at, csize), size + 1)
        except _INFLATE_ERRORS as e:
            raise ZipError(f"flate: corrupt input ({e})") from None
        if len(out) > size:
            raise ZipError(FORMAT_ERROR)
        if not d.eof or len(out) != size:
            raise ZipError(UNEXPECTED_EOF)
        return hashlib.sha256(out).digest(), out
    # Most members fit in the window: one piece, no generator.
    pieces: Iterable[memoryview] = (
        (win.get(data_at, csize),) if csize <= _WINDOW else win.chunks(data_at, csize)
    )
    h = hashlib.sha256()
    crc = 0
    got = 0
    if method == _DEFLATE:
        d = _inflate.decompressobj(-15)
        try:
            for piece in pieces:
                data: bytes | memoryview = piece
                while data and not d.eof:
                    out = d.decompress(data, _OUT_CHUNK)
                    got += len(out)
                    if got > size:
                        raise ZipError(FORMAT_ERROR)
                    h.update(out)
                    if verify_crc:
                        crc = zlib.crc32(out, crc)
                    data = d.unconsumed_tail
                if d.eof:
                    break
        except _INFLATE_ERRORS as e:
            raise ZipError(f"flate: corrupt input ({e})") from None
        if not d.eof:
            raise ZipError(UNEXPECTED_EOF)
    elif method == _STORE:
        for piece in pieces:
            got += len(piece)
            if got > size:
                raise ZipError(FORMAT_ERROR)
            h.update(piece)
            if verify_crc:
                crc = zlib.crc32(piece, crc)
    else:
        raise ZipError(ALGORITHM_ERROR)
    if got != size:
        raise ZipError(UNEXPECTED_EOF)
    if verify_crc:
        if flags & 0x8:
            desc = bytes(win.get(data_at + csize, 16))
            if len(desc) < 4:
                raise ZipError(UNEXPECTED_EOF)
            off = 4 if _U32.unpack_from(desc, 0)[0] == _DD_SIG else 0
            if len(desc) < off + 12:
                raise ZipError(UNEXPECTED_EOF)
            if _U32.unpack_from(desc, off)[0] != crc32 or crc != crc32:
                raise ZipError(CHECKSUM_ERROR)
        elif crc32 != 0 and crc != crc32:
            raise ZipError(CHECKSUM_ERROR)
    return h.digest(), None


def read_zip_members(path: str | os.PathLike[str]) -> list[ZipMember]:
    """The central directory of a zip file, in directory order."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _read_members(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _zip_digests(
    path: str | os.PathLike[str],
    prefix_check: str | None,
    verify_crc: bool,
    on_content: Callable[[ZipMember, bytes | bytearray, bytes], None] | None = None,
) -> list[tuple[ZipMember, bytes]]:
    """Every member with the sha256 of its content, in directory order.
    ``on_content(member, content, sha256)`` sees each member inflated in one piece."""
    fd = os.open(path, os.O_RDONLY)
    try:
        members = _read_members(fd, os.fstat(fd).st_size)
        if prefix_check is not None:
            prefix = _fsname(prefix_check.rstrip("/") + "/")
            for m in members:
                if not m.raw_name.startswith(prefix):
                    raise ZipError(
                        f"zip for {prefix_check.rstrip('/')} has unexpected file {m.name}"
                    )
        for m in members:
            if b"\n" in m.raw_name:
                raise ZipError("dirhash: filenames with newlines are not supported")
        win = _Window(fd)
        order = sorted(range(len(members)), key=lambda i: members[i].header_offset)
        digests: list[bytes] = [b""] * len(members)
        for i in order:
            if on_content is None:
                digests[i] = _member_digest(win, members[i], verify_crc)
                continue
            digest, content = _member_content(win, members[i], verify_crc)
            digests[i] = digest
            if content is not None:
                on_content(members[i], content, digest)
    finally:
        os.close(fd)
    return list(zip(members, digests, strict=True))


def hash_zip(
    path: str | os.PathLike[str], prefix_check: str | None = None, *, verify_crc: bool = False
) -> str:
    """``dirhash.HashZip(path, Hash1)``: the ``h1:`` hash of a module zip's files.

    With ``prefix_check`` (``"path@version"``), every name must start with
    ``prefix_check + "/"``, as modfetch requires of a downloaded zip. Raises
    :class:`ZipError` for a zip archive/zip cannot read and ``OSError`` for I/O.
    """
    pairs = _zip_digests(path, prefix_check, verify_crc)
    # HashZip opens members by name through a map, so for a duplicated name every
    # line carries the content of the last member with that name.
    last = {m.raw_name: d for m, d in pairs}
    return hash1((m.raw_name, last[m.raw_name]) for m, _ in pairs)


def zip_entries(
    path: str | os.PathLike[str], prefix_check: str | None = None, *, verify_crc: bool = False
) -> dict[str, Entry]:
    """Name → (size, sha256 hex) of each file of a zip (the last one for a duplicate).

    The names are the zip's own (``path@version/rel``), the same names
    :func:`dir_entries` gives with ``prefix="path@version"``.
    """
    return {m.name: (m.size, d.hex()) for m, d in _zip_digests(path, prefix_check, verify_crc)}


# --------------------------------------------------------------------------- dirs


def _name_head(prefix: str) -> str:
    """What Go's ``filepath.Join(prefix, rel)`` puts before a clean relative ``rel``
    (a name read from a directory is never ``.`` or ``..``): ``Clean(prefix)+"/"``,
    or nothing when the prefix cleans to ``.``."""
    cleaned = posixpath.normpath(posixpath.join(prefix, "x")) if prefix else "x"
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned[:-1]


def _dir_files(dir: str | os.PathLike[str], prefix: str) -> list[tuple[str, str, bool]]:
    """``(name, path, known regular)`` of every non-directory (the walk is
    :func:`gomod_doctor.cache.dirwalk.walk_dir`, full verification's)."""
    root = os.path.normpath(os.fspath(dir))
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(f"{root} is not a directory")
    head = _name_head(prefix)
    return [(head + rel, os.path.join(root, rel), reg) for rel, _, _, _, reg in walk_dir(root)]


def dir_files(dir: str | os.PathLike[str], prefix: str) -> list[tuple[str, str]]:
    """``dirhash.DirFiles``: ``(name, filesystem path)`` of every non-directory
    under ``dir``, named ``prefix/relpath`` with forward slashes (unsorted)."""
    return [(name, path) for name, path, _ in _dir_files(dir, prefix)]


def _file_digest(path: str, regular: bool, buf: memoryview) -> tuple[int, bytes]:
    """(size, sha256) of the content read through ``path``; ``regular`` says the
    walk already saw a regular file (else: a symlink or special file, checked
    here after following symlinks). ``buf`` is scratch space for reading."""
    if not regular:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "is a directory", path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"read {path}: not a regular file")
    # O_NONBLOCK: should the file have become a FIFO since, opening cannot hang.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        h = hashlib.sha256()
        size = 0
        while True:
            n = os.readv(fd, [buf])
            if not n:
                break
            h.update(buf[:n])
            size += n
        return size, h.digest()
    finally:
        os.close(fd)


def _dir_digests(dir: str | os.PathLike[str], prefix: str) -> list[tuple[str, int, bytes]]:
    out = []
    buf = memoryview(bytearray(_WINDOW))
    for name, path, regular in _dir_files(dir, prefix):
        if "\n" in name:
            raise ValueError("dirhash: filenames with newlines are not supported")
        size, digest = _file_digest(path, regular, buf)
        out.append((name, size, digest))
    return out


def hash_dir(dir: str | os.PathLike[str], prefix: str) -> str:
    """``dirhash.HashDir(dir, prefix, Hash1)``: the ``h1:`` hash of a directory tree.

    ``prefix`` replaces ``dir`` in the names (``"path@version"`` for a module).
    Raises ``OSError`` for unreadable entries (see the module notes on symlinks).
    """
    return hash1((name, digest) for name, _, digest in _dir_digests(dir, prefix))


def dir_entries(dir: str | os.PathLike[str], prefix: str) -> dict[str, Entry]:
    """Name → (size, sha256 hex) of each file :func:`hash_dir` would hash."""
    return {name: (size, digest.hex()) for name, size, digest in _dir_digests(dir, prefix)}
