"""``dirhash.DirFiles``'s walk (``filepath.Walk``, which uses ``lstat``): every
non-directory under a root, with the identity of each; directories are descended,
symbolic links never followed. Full verification walks each extracted directory
with it (in worker processes), and :func:`gomod_doctor.cache.hashing.hash_dir` lists
the files it hashes with it."""

from __future__ import annotations

import os

from gomod_doctor.cache.modstate import go_os_error

# A walked file: (rel, size, mtime_ns, ino, regular)
WalkedFile = tuple[str, int, int, int, bool]

_S_IFMT = 0o170000
_S_IFREG = 0o100000
DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Listing through directory descriptors makes each lstat an fstatat relative to
# its directory, sparing the kernel a walk of the whole path per file (a third of
# the cost of the warm path).
WALK_FDS = (
    os.scandir in os.supports_fd
    and os.stat in os.supports_dir_fd
    and bool(getattr(os, "O_DIRECTORY", 0))
)


class WalkError(OSError):
    """An entry that cannot be read, in go's words (what ``filepath.Walk`` reports)."""


def _walk_fd(fd: int, path: str, rel: str, out: list[WalkedFile]) -> None:
    """Append every non-directory under the directory open as ``fd`` (whose path
    is ``path``), named ``rel + name``; directories are descended, symlinks not."""
    subdirs = []
    append = out.append
    try:
        with os.scandir(fd) as it:
            for e in it:
                name = e.name
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(name)
                    continue
                st = e.stat(follow_symlinks=False)
                append(
                    (
                        rel + name,
                        st.st_size,
                        st.st_mtime_ns,
                        st.st_ino,
                        st.st_mode & _S_IFMT == _S_IFREG,
                    )
                )
    except OSError as err:
        name = err.filename if isinstance(err.filename, str) else ""
        where = f"{path}/{name}" if name else path
        raise WalkError(go_os_error("lstat" if name else "open", where, err)) from None
    for name in subdirs:
        sub_path = f"{path}/{name}"
        try:
            sub = os.open(name, DIR_FLAGS, dir_fd=fd)
        except OSError as err:
            raise WalkError(go_os_error("open", sub_path, err)) from None
        try:
            _walk_fd(sub, sub_path, f"{rel}{name}/", out)
        finally:
            os.close(sub)


def _walk(path: str, rel: str, out: list[WalkedFile]) -> None:
    """:func:`_walk_fd` by path, where directory descriptors cannot be listed."""
    subdirs = []
    append = out.append
    try:
        with os.scandir(path) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.name)
                else:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError as err:
                        raise WalkError(go_os_error("lstat", e.path, err)) from None
                    append(
                        (
                            rel + e.name,
                            st.st_size,
                            st.st_mtime_ns,
                            st.st_ino,
                            st.st_mode & _S_IFMT == _S_IFREG,
                        )
                    )
    except WalkError:
        raise
    except OSError as err:
        raise WalkError(go_os_error("open", path, err)) from None
    for name in subdirs:
        _walk(os.path.join(path, name), f"{rel}{name}/", out)


def walk_dir(root: str) -> list[WalkedFile]:
    """``(rel, size, mtime_ns, ino, regular)`` of every file under ``root`` (as
    ``dirhash.DirFiles`` lists them; unsorted). Raises ``WalkError`` with go's
    words for the first entry that cannot be read."""
    files: list[WalkedFile] = []
    if not WALK_FDS:
        _walk(root, "", files)
        return files
    try:
        fd = os.open(root, DIR_FLAGS)
    except OSError as err:
        raise WalkError(go_os_error("open", root, err)) from None
    try:
        _walk_fd(fd, root, "", files)
    finally:
        os.close(fd)
    return files
