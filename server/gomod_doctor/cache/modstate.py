"""What the module cache holds for one module version: :class:`ModuleState`, the
model the quick inspection (:mod:`gomod_doctor.cache.state`) fills in and the
checks read, and :func:`go_os_error`, an I/O error in Go's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gomod_doctor.cache.layout import ExtractedState, Leftover, ModuleFiles

__all__ = ["SUFFIXES", "FileStat", "InfoData", "ModuleState", "go_os_error"]

# The download-cache files of one version, in the order go creates them.
SUFFIXES = ("info", "mod", "zip", "ziphash", "lock", "partial")


def go_os_error(op: str, path: str, e: BaseException) -> str:
    """A Python I/O error in the words of Go's ``*PathError``: ``op path: reason``
    with the lower-case reason Go's syscall package prints (``permission denied``)."""
    if isinstance(e, OSError) and e.strerror:
        reason = e.strerror
        reason = reason[:1].lower() + reason[1:]
        return f"{op} {path}: {reason}"
    return str(e) or f"{op} {path}: {type(e).__name__}"


@dataclass(frozen=True)
class FileStat:
    """Size and modification time of a file (after following symlinks, as os.Stat)."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class InfoData:
    """The fields of a cached ``.info`` file that go reads (``modfetch.RevInfo``).

    Each is ``None`` when absent or of the wrong JSON type.
    """

    version: str | None
    time: str | None
    origin: dict[str, Any] | None


@dataclass
class ModuleState:
    """What the module cache holds for one module version (see the module notes).

    ``stats`` maps each suffix of :data:`SUFFIXES` that exists to its
    :class:`FileStat`; the properties ``info``, ``mod``, ``zip``… read it.
    ``files`` is ``None`` when go has no cache path for ``path@version`` (an invalid
    path or a non-canonical version): then ``errors`` says why and nothing else is
    filled in.
    """

    path: str
    version: str
    files: ModuleFiles | None
    stats: dict[str, FileStat] = field(default_factory=dict)
    extracted: ExtractedState = field(default_factory=lambda: ExtractedState("", "absent"))
    leftovers: list[Leftover] = field(default_factory=list)
    ziphash_value: str | None = None  # the .ziphash content, whitespace trimmed
    mod_h1: str | None = None  # hash_gomod of the cached .mod (the go.sum /go.mod line)
    mod_empty: bool = False
    mod_unreadable: bool = False
    go_version: str | None = None  # the cached .mod's go directive
    info_data: InfoData | None = None
    info_error: str | None = None  # the .info is not the JSON object go expects
    errors: list[str] = field(default_factory=list)
    #: the ``h1:`` hash of each ``.zip*.tmp`` leftover that is a whole module zip (by
    #: its file); absent when it is not (an interrupted download)
    tmp_zip_h1: dict[str, str] = field(default_factory=dict)

    def has(self, suffix: str) -> bool:
        return suffix in self.stats

    @property
    def info(self) -> FileStat | None:
        return self.stats.get("info")

    @property
    def mod(self) -> FileStat | None:
        return self.stats.get("mod")

    @property
    def zip(self) -> FileStat | None:
        return self.stats.get("zip")

    @property
    def ziphash(self) -> FileStat | None:
        return self.stats.get("ziphash")

    @property
    def lock(self) -> FileStat | None:
        return self.stats.get("lock")

    @property
    def partial(self) -> FileStat | None:
        return self.stats.get("partial")

    @property
    def extracted_dir(self) -> str:
        return self.files.extracted_dir if self.files is not None else ""

    def to_fetch(
        self, needs_zip: bool, *, with_info: bool = False
    ) -> tuple[Literal["info", "mod", "zip"], ...]:
        """The files the next go command downloads for this version, in go's order:
        the ``.mod`` when it is absent, the zip when the build needs it and neither the
        zip nor a complete extracted dir is there (and, ``with_info``, the ``.info``
        beside another file). Empty when nothing is missing or the version is invalid."""
        if self.files is None:
            return ()
        out: list[Literal["info", "mod", "zip"]] = []
        if with_info and self.info is None:
            out.append("info")
        if self.mod is None:
            out.append("mod")
        if needs_zip and self.extracted.status != "complete" and self.zip is None:
            out.append("zip")
        if with_info and out == ["info"]:
            return ()
        return tuple(out)


# --------------------------------------------------------------------------- listing
