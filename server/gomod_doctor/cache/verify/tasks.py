"""The work done in worker processes: walking an extracted directory, hashing its
files, hashing a zip whole or in member ranges. Module-level functions (any start
method can run them)."""

from __future__ import annotations

import hashlib
import marshal
import os
import stat

from gomod_doctor.cache import dirwalk, hashing
from gomod_doctor.cache.dirwalk import DIR_FLAGS, WalkedFile, WalkError, walk_dir
from gomod_doctor.cache.modstate import go_os_error

# --------------------------------------------------------------------------- tasks
# Module-level functions: they run in worker processes (any start method).

# A scanned directory: (root, error, fingerprint, nfiles, nbytes, files or None)
ScanOut = tuple[str, str | None, bytes | None, int, int, list[WalkedFile] | None]


def fingerprint(files: list[WalkedFile]) -> bytes | None:
    """The identity of a walked directory's files; ``None`` unless all are regular."""
    if not all(f[4] for f in files):
        return None
    return hashlib.sha256(marshal.dumps(files, 2)).digest()


def _scan_dir(root: str, expected: bytes | None) -> ScanOut:
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return (root, None, None, -1, 0, None)  # absent
    except OSError as e:
        return (root, go_os_error("lstat", root, e), None, 0, 0, None)
    if not stat.S_ISDIR(st.st_mode):
        return (root, f"{root}: not a directory", None, 0, 0, None)
    try:
        files = walk_dir(root)
    except WalkError as e:
        return (root, str(e), None, 0, 0, None)
    except RecursionError:
        return (root, f"{root}: directory tree too deep", None, 0, 0, None)
    fp = fingerprint(files)
    nbytes = sum(f[1] for f in files)
    keep = None if fp is not None and fp == expected else files
    return (root, None, fp, len(files), nbytes, keep)


def _task_scan(items: list[tuple[str, bytes | None]]) -> list[ScanOut]:
    return [_scan_dir(root, expected) for root, expected in items]


def _zip_error(path: str, e: BaseException) -> str:
    if isinstance(e, OSError):
        return go_os_error("open", path, e)
    return str(e) or type(e).__name__


# A file of an extracted directory read while its zip was hashed: (rel, sha256).
PairedFile = tuple[str, bytes]
# (error, members as (name, size), digests, h1, paired files)
ZipOut = tuple[str | None, list[tuple[str, int]], list[bytes], str | None, list[PairedFile]]
# (error, digests, paired files)
ZipPartOut = tuple[str | None, list[bytes], list[PairedFile]]


class _Pairer:
    """Reads the extracted directory's copy of each zip member as the member is
    inflated, and compares the two: equal bytes have the member's sha256, so the
    file needs no hashing of its own (a differing one is hashed from what was
    read). This spares the hashing of every unchanged file of a module whose zip
    and directory are both verified. Files it cannot take (symlinks, unreadable
    ones, large members streamed through the inflater) are left to the
    directory's own file tasks. Like those, it reads a file after the walk took
    its identity (see :func:`_hash_dir_files`)."""

    def __init__(self, root: str, prefix: str) -> None:
        self.root = root
        self.head = (prefix + "/").encode("utf-8", "surrogateescape")
        self.dir_fds: dict[bytes, int] = {}
        self.out: list[PairedFile] = []

    def __call__(self, m: hashing.ZipMember, content: bytes | bytearray, digest: bytes) -> None:
        name = m.raw_name
        head = self.head
        if not name.startswith(head) or name.endswith(b"/"):
            return
        rel = name[len(head) :]
        sub, _, base = rel.rpartition(b"/")
        dfd = self.dir_fds.get(sub)
        if dfd is None:
            root = self.root.encode("utf-8", "surrogateescape")
            try:
                dfd = os.open(root + b"/" + sub if sub else root, DIR_FLAGS)
            except OSError:
                dfd = -1
            self.dir_fds[sub] = dfd
        if dfd < 0 or not base:
            return
        try:
            fd = os.open(base, _FILE_FLAGS, dir_fd=dfd)
        except OSError:
            return  # absent, a symlink, unreadable: the file tasks say what
        try:
            data = os.read(fd, len(content) + 1)
            if len(data) > len(content):  # longer: the rest too, for its own hash
                parts = [data]
                while chunk := os.read(fd, 1 << 20):
                    parts.append(chunk)
                data = b"".join(parts)
        except OSError:
            return  # a directory, a FIFO...: the file tasks say what
        finally:
            os.close(fd)
        sha = digest if data == content else hashlib.sha256(data).digest()
        self.out.append((rel.decode("utf-8", "surrogateescape"), sha))

    def close(self) -> list[PairedFile]:
        for dfd in self.dir_fds.values():
            if dfd >= 0:
                os.close(dfd)
        self.dir_fds.clear()
        return self.out


def _zip_h1(names: list[str], digests: list[bytes]) -> str:
    """dirhash.HashZip from the members in directory order: one line per member,
    each with the content of the last member of that name."""
    last = dict(zip(names, digests, strict=True))
    return hashing.hash1((n, last[n]) for n in names)


def _task_zip(path: str, pair: tuple[str, str] | None = None) -> ZipOut:
    """A whole zip; with ``pair`` (the extracted directory and its prefix), its
    files are compared with the members (:class:`_Pairer`)."""
    pairer = _Pairer(*pair) if pair is not None else None
    try:
        pairs = hashing._zip_digests(path, None, False, pairer)
        names = [m.name for m, _ in pairs]
        digests = [d for _, d in pairs]
        h1 = _zip_h1(names, digests)
    except (OSError, ValueError, MemoryError, OverflowError) as e:
        return (_zip_error(path, e), [], [], None, pairer.close() if pairer else [])
    paired = pairer.close() if pairer else []
    return (None, [(m.name, m.size) for m, _ in pairs], digests, h1, paired)


def _task_zip_part(
    path: str, members: list[hashing.ZipMember], pair: tuple[str, str] | None = None
) -> ZipPartOut:
    pairer = _Pairer(*pair) if pair is not None else None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        return (_zip_error(path, e), [], [])
    try:
        win = hashing._Window(fd)
        digests: list[bytes] = [b""] * len(members)
        for i in sorted(range(len(members)), key=lambda i: members[i].header_offset):
            if pairer is None:
                digests[i] = hashing._member_digest(win, members[i], False)
                continue
            digest, content = hashing._member_content(win, members[i], False)
            digests[i] = digest
            if content is not None:
                pairer(members[i], content, digest)
        return (None, digests, pairer.close() if pairer else [])
    except (OSError, ValueError, MemoryError, OverflowError) as e:
        return (_zip_error(path, e), [], pairer.close() if pairer else [])
    finally:
        os.close(fd)


_FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # should a file have become a FIFO: no hang
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

# A directory's files to hash: (root, rels, regular flags)
FilesIn = tuple[str, list[str], list[bool]]
# Their results: (bytes read, sha256 per file (b"" where failed), {index: error})
FilesOut = tuple[int, list[bytes], dict[int, str]]


def _digest_fd(fd: int, buf: memoryview) -> tuple[int, bytes]:
    h = hashlib.sha256()
    size = 0
    while True:
        n = os.readv(fd, [buf])
        if not n:
            return size, h.digest()
        h.update(buf[:n])
        size += n


def _hash_path(path: str, regular: bool, buf: memoryview) -> tuple[int, bytes] | str:
    """sha256 of the content read through ``path`` (symlinks followed, as Go's
    os.Open), or go's words for the failure."""
    try:
        return hashing._file_digest(path, regular, buf)
    except IsADirectoryError:
        return f"read {path}: is a directory"
    except OSError as e:
        return go_os_error("open", path, e)


def _hash_dir_files(root: str, rels: list[str], regular: list[bool], buf: memoryview) -> FilesOut:
    digests: list[bytes] = []
    errors: dict[int, str] = {}
    total = 0
    dir_fds: dict[str, int] = {}
    try:
        for i, rel in enumerate(rels):
            head, _, name = rel.rpartition("/")
            res: tuple[int, bytes] | str | None = None
            if regular[i] and dirwalk.WALK_FDS:
                # Opened relative to its directory: no walk of the whole path.
                dfd = dir_fds.get(head)
                if dfd is None:
                    try:
                        dfd = os.open(f"{root}/{head}" if head else root, DIR_FLAGS)
                    except OSError:
                        dfd = -1
                    dir_fds[head] = dfd
                if dfd >= 0:
                    try:
                        fd = os.open(name, _FILE_FLAGS, dir_fd=dfd)
                    except OSError:
                        pass  # gone, or now a symlink: go's way below, by path
                    else:
                        try:
                            res = _digest_fd(fd, buf)
                        except OSError:
                            res = None
                        finally:
                            os.close(fd)
            if res is None:
                res = _hash_path(f"{root}/{rel}", regular[i], buf)
            if isinstance(res, str):
                errors[i] = res
                digests.append(b"")
            else:
                total += res[0]
                digests.append(res[1])
    finally:
        for dfd in dir_fds.values():
            if dfd >= 0:
                os.close(dfd)
    return total, digests, errors


def _task_files(groups: list[FilesIn]) -> list[FilesOut]:
    buf = memoryview(bytearray(1 << 20))
    return [_hash_dir_files(root, rels, regular, buf) for root, rels, regular in groups]
