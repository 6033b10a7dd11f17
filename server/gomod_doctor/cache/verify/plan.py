"""One verification run: what to hash (the plan), the tasks that hash it, and their
results merged per module version.

One cohesive type, :class:`_Verify`, makes most of this module (the state of a run
and the steps that move it on): it stays whole, over the size guide."""

from __future__ import annotations

import functools
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from gomod_doctor.cache import hashing
from gomod_doctor.cache.dirwalk import WalkedFile
from gomod_doctor.cache.layout import module_files
from gomod_doctor.cache.memo import (
    DirMemo,
    DirStore,
    FileColumns,
    FileIdentity,
    Memo,
    ZipStore,
)
from gomod_doctor.cache.modstate import go_os_error
from gomod_doctor.cache.results import (
    Cancel,
    DirDiff,
    ModuleVerification,
    Progress,
    VerifyStats,
)
from gomod_doctor.cache.verify.runner import _Job, _Runner
from gomod_doctor.cache.verify.tasks import (
    FilesOut,
    PairedFile,
    ScanOut,
    ZipOut,
    ZipPartOut,
    _scan_dir,
    _task_files,
    _task_scan,
    _task_zip,
    _task_zip_part,
    _zip_error,
    _zip_h1,
)

SPLIT_ZIP_AT = 16 << 20  # zips larger than this are split into member ranges
ZIP_CHUNK = 4 << 20  # compressed bytes per zip task (about 12 MB to inflate and hash)
BATCH_BYTES = 8 << 20  # file bytes per directory task
BATCH_FILES = 1000  # files per directory task

STORE_BATCH = 20_000  # memo entries written at once

NEWLINE_ERROR = "dirhash: filenames with newlines are not supported"

# --------------------------------------------------------------------------- state


@dataclass
class _ZipWork:
    mod: ModuleVerification
    path: str
    ident: FileIdentity
    parts: int = 0  # outstanding tasks
    members: list[tuple[str, int]] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    error: str | None = None
    resolved: bool = False
    #: the extracted directory whose files its tasks compare with the members
    pair: _DirWork | None = None
    #: what they read of it: rel -> sha256
    paired: dict[str, bytes] = field(default_factory=dict)
    released: bool = False  # every task is back: the directory may go on


@dataclass
class _Plan:
    zips: list[tuple[tuple[str, str], _ZipWork]] = field(default_factory=list)  # to hash
    dirs: list[_DirWork] = field(default_factory=list)
    work_bytes: int = 0  # bytes likely to be hashed (zips not memoized, unknown dirs)
    expected_files: int = 0  # files likely to be walked


@dataclass
class _DirWork:
    mod: ModuleVerification
    root: str
    prefix: str
    memo: DirMemo | None = None
    expect: int = 0  # files expected
    files: list[WalkedFile] = field(default_factory=list)
    digests: dict[str, bytes] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    hashed: list[str] = field(default_factory=list)  # rels hashed this run
    stale_rows: bool = False  # the memo's files are not those walked
    fp: bytes | None = None
    nbytes: int = 0
    parts: int = 0
    scanned: bool = False
    resolved: bool = False
    error: str | None = None
    #: the zip whose tasks read this directory's files (see _Pairer), until back
    zip: _ZipWork | None = None
    #: files left to hash, held until the zip's tasks are back
    held: list[WalkedFile] | None = None


class _Verify:
    def __init__(
        self,
        gomodcache: str,
        requests: dict[tuple[str, str], bool],
        memo: Memo | None,
        progress: Progress | None,
        cancelled: Callable[[], bool],
        racy_cutoff_ns: int,
    ) -> None:
        self.cache = gomodcache
        self.requests = requests
        self.memo = memo
        self.progress = progress
        self.cancelled = cancelled
        self.racy_cutoff = racy_cutoff_ns
        self.stats = VerifyStats()
        self.mods: dict[tuple[str, str], ModuleVerification] = {}
        self.zips: dict[tuple[str, str], _ZipWork] = {}
        self.dirs: dict[tuple[str, str], _DirWork] = {}
        self.done_bytes = 0
        self.total_bytes = 0
        self.listing = 0  # directories not yet listed (progress waits for them)
        self.last_report = (-1, -1)
        self.current = ""
        self.dir_by_root: dict[str, _DirWork] = {}
        self.pending_files: list[tuple[_DirWork, list[WalkedFile]]] = []
        self.store_zips: list[ZipStore] = []
        self.store_dirs: list[DirStore] = []
        self.store_size = 0
        self.runner: _Runner | None = None

    # ----------------------------------------------------------------- progress
    def credit(self, n: int, label: str) -> None:
        self.done_bytes += n
        self.current = label or self.current
        self.report()

    def report(self, force: bool = False) -> None:
        if self.progress is None or (self.listing and not force):
            return
        now = (min(self.done_bytes, self.total_bytes), self.total_bytes)
        if now != self.last_report:
            self.last_report = now
            self.progress(now[0], now[1], self.current)

    # ----------------------------------------------------------------- planning
    def plan(self) -> _Plan:
        """Module records and memo lookups; the zip jobs and the dirs to walk."""
        zip_idents: dict[str, FileIdentity] = {}
        for (path, version), need_dir in self.requests.items():
            mod = ModuleVerification(path, version)
            self.mods[(path, version)] = mod
            try:
                files = module_files(self.cache, path, version)
            except ValueError as e:
                mod.error = str(e)
                continue
            mod.zip, mod.dir = files.zip, files.extracted_dir
            try:
                st = os.stat(files.zip)
            except FileNotFoundError:
                pass
            except OSError as e:
                mod.zip_present = True
                mod.zip_error = go_os_error("open", files.zip, e)
            else:
                mod.zip_present = True
                if not stat.S_ISREG(st.st_mode):
                    mod.zip_error = f"read {files.zip}: not a regular file"
                else:
                    ident = FileIdentity(st.st_size, st.st_mtime_ns, st.st_ino)
                    self.zips[(path, version)] = _ZipWork(mod, files.zip, ident)
                    zip_idents[files.zip] = ident
            if need_dir:
                self.dirs[(path, version)] = _DirWork(mod, files.extracted_dir, files.prefix)

        memo_zips = self.memo.get_zips(zip_idents) if self.memo else {}
        dir_memos = self.memo.get_dirs(d.root for d in self.dirs.values()) if self.memo else {}

        plan = _Plan()
        for key, zw in list(self.zips.items()):
            self.total_bytes += zw.ident.size
            h1 = memo_zips.get(zw.path)
            if h1 is not None:
                zw.mod.zip_h1, zw.mod.zip_from_memo, zw.resolved = h1, True, True
                self.stats.zips_memo += 1
                self.done_bytes += zw.ident.size
                continue
            plan.work_bytes += zw.ident.size
            plan.zips.append((key, zw))
        for key, dw in self.dirs.items():
            m = dir_memos.get(dw.root)
            if m is not None and m.prefix == dw.prefix:
                dw.memo = m
                dw.expect = m.nfiles
            else:
                # Unknown: guess from the zip (about 3 bytes unzipped per byte,
                # some 4 KB per file, as in typical Go modules).
                zwk = self.zips.get(key)
                zsize = zwk.ident.size if zwk is not None else 0
                dw.expect = 1 + zsize // 1500
                plan.work_bytes += 3 * zsize
            plan.expected_files += dw.expect
        # A module whose zip and directory are both to be hashed, the directory with
        # no memo of its own: the zip's tasks read the directory's files too.
        for key, zw in plan.zips:
            paired = self.dirs.get(key)
            if paired is not None and (paired.memo is None or paired.memo.fingerprint is None):
                zw.pair, paired.zip = paired, zw
        plan.dirs = list(self.dirs.values())
        return plan

    def zip_jobs(self, key: tuple[str, str], zw: _ZipWork) -> list[_Job]:
        label = f"{key[0]}@{key[1]}"
        pair = (zw.pair.root, zw.pair.prefix) if zw.pair is not None else None
        if zw.ident.size <= SPLIT_ZIP_AT:
            zw.parts = 1
            return [
                _Job(
                    _task_zip,
                    (zw.path, pair),
                    zw.ident.size,
                    label,
                    functools.partial(self.zip_whole_done, zw),
                    functools.partial(self.zip_task_failed, zw),
                )
            ]
        try:
            members = hashing.read_zip_members(zw.path)
        except (OSError, ValueError, MemoryError, OverflowError) as e:
            self.zip_failed(zw, _zip_error(zw.path, e))
            self.credit(zw.ident.size, label)
            self.release(zw)
            return []
        if any(b"\n" in m.raw_name for m in members):
            self.zip_failed(zw, NEWLINE_ERROR)
            self.credit(zw.ident.size, label)
            self.release(zw)
            return []
        zw.members = [(m.name, m.size) for m in members]
        zw.digests = [b""] * len(members)
        # Parts of about ZIP_CHUNK compressed bytes, in directory order; the
        # progress weights add up to the zip's size.
        bounds: list[tuple[int, int, int]] = []
        start = acc = 0
        for i, m in enumerate(members):
            acc += m.compressed_size + 30 + len(m.raw_name)
            if acc >= ZIP_CHUNK or i == len(members) - 1:
                bounds.append((start, i + 1, acc))
                start, acc = i + 1, 0
        weights = [w for _, _, w in bounds]
        if weights:
            weights[-1] += zw.ident.size - sum(weights)
        jobs = []
        for (lo, hi, _), w in zip(bounds, weights, strict=True):
            jobs.append(
                _Job(
                    _task_zip_part,
                    (zw.path, members[lo:hi], pair),
                    w,
                    label,
                    functools.partial(self.zip_part_done, zw, lo),
                    functools.partial(self.zip_task_failed, zw),
                )
            )
        zw.parts = len(jobs)
        if not jobs:  # an empty zip
            self.finish_zip(zw)
            self.credit(zw.ident.size, label)
            self.release(zw)
        return jobs

    # ----------------------------------------------------------------- zip results
    def zip_whole_done(self, zw: _ZipWork, out: ZipOut) -> None:
        err, members, digests, h1, paired = out
        zw.parts -= 1
        self.take_paired(zw, paired)
        if err is not None:
            self.zip_failed(zw, err)
        else:
            zw.members, zw.digests = members, digests
            self.stats.bytes_hashed += zw.ident.size
            self.finish_zip(zw, h1)
        self.release(zw)

    def zip_part_done(self, zw: _ZipWork, lo: int, out: ZipPartOut) -> None:
        err, digests, paired = out
        zw.parts -= 1
        self.take_paired(zw, paired)
        if err is not None:
            self.zip_failed(zw, err)
        else:
            zw.digests[lo : lo + len(digests)] = digests
            if zw.parts == 0 and zw.error is None:
                self.stats.bytes_hashed += zw.ident.size
                self.finish_zip(zw)
        self.release(zw)

    def zip_task_failed(self, zw: _ZipWork, err: str) -> None:
        zw.parts -= 1
        self.zip_failed(zw, err)
        self.release(zw)

    def zip_failed(self, zw: _ZipWork, err: str) -> None:
        if zw.error is None and not zw.resolved:
            zw.error = err
            zw.mod.zip_error = err
            zw.resolved = True
            self.stats.zips_hashed += 1

    def take_paired(self, zw: _ZipWork, paired: list[PairedFile]) -> None:
        zw.paired.update(paired)

    def release(self, zw: _ZipWork) -> None:
        """The zip's tasks are all back: its directory's files go on (those read
        and compared already count as hashed, the rest get file tasks)."""
        if zw.released or zw.parts > 0:
            return
        zw.released = True
        dw = zw.pair
        if dw is None or dw.held is None:
            return
        todo, dw.held = dw.held, None
        self.queue_files(dw, todo)
        if self.listing == 0 and self.runner is not None:
            for job in self.file_jobs():
                self.runner.submit(job)

    def finish_zip(self, zw: _ZipWork, h1: str | None = None) -> None:
        if zw.resolved:
            return
        if h1 is None:
            try:
                h1 = _zip_h1([n for n, _ in zw.members], zw.digests)
            except ValueError as e:
                zw.mod.zip_error = str(e)
        zw.mod.zip_h1 = h1
        zw.resolved = True
        self.stats.zips_hashed += 1
        self.remember(self._zip_store(zw))

    # ----------------------------------------------------------------- dirs
    def scanned(self, out: ScanOut) -> list[_Job]:
        """A directory's walk is in: memo fast path, or file jobs."""
        root, err, fp, nfiles, nbytes, files = out
        dw = self.dir_by_root[root]
        dw.scanned = True
        self.listing -= 1
        if nfiles < 0:  # absent
            dw.resolved = True
            return []
        dw.mod.dir_checked = True
        self.stats.files_walked += max(nfiles, 0)
        if err is not None:
            dw.error = dw.mod.dir_error = err
            dw.resolved = True
            return []
        dw.fp, dw.nbytes = fp, nbytes
        self.total_bytes += nbytes
        m = dw.memo
        if files is None and m is not None and fp == m.fingerprint and m.prefix == dw.prefix:
            dw.mod.dir_h1, dw.mod.dir_from_memo, dw.resolved = m.h1, True, True
            self.stats.dirs_memo += 1
            self.stats.files_memo += nfiles
            self.done_bytes += nbytes
            return []
        assert files is not None
        dw.files = files
        rows = self.memo.get_files(root) if self.memo is not None else {}
        todo: list[WalkedFile] = []
        if rows:
            seen = 0
            for f in files:
                rel, size, mtime_ns, ino, regular = f
                row = rows.get(rel)
                if row is not None:
                    seen += 1
                    if regular and row[0] == size and row[1] == mtime_ns and row[2] == ino:
                        dw.digests[rel] = row[3]
                        self.done_bytes += size
                        continue
                todo.append(f)
            dw.stale_rows = seen != len(rows) or seen != len(files)
        else:
            todo = files
            dw.stale_rows = True
        self.stats.files_memo += len(files) - len(todo)
        self.stats.dirs_hashed += 1
        if dw.zip is not None and not dw.zip.released:
            dw.held = todo  # the zip's tasks are reading these files
        else:
            self.queue_files(dw, todo)
        return []

    def queue_files(self, dw: _DirWork, todo: list[WalkedFile]) -> None:
        """Files of ``dw`` to hash, but for those its zip's tasks read already."""
        paired = dw.zip.paired if dw.zip is not None else None
        if paired:
            rest: list[WalkedFile] = []
            digests, hashed = dw.digests, dw.hashed
            nbytes = 0
            for f in todo:
                digest = paired.get(f[0])
                if digest is not None and f[4]:
                    digests[f[0]] = digest
                    hashed.append(f[0])
                    nbytes += f[1]
                else:
                    rest.append(f)
            self.stats.files_hashed += len(todo) - len(rest)
            self.stats.bytes_hashed += nbytes
            self.done_bytes += nbytes
            todo = rest
        if not todo:
            if dw.parts == 0:
                self.finish_dir(dw)
        else:
            self.pending_files.append((dw, todo))

    def file_jobs(self) -> list[_Job]:
        """Batches of the files still to hash, across directories."""
        jobs: list[_Job] = []
        batch: list[tuple[_DirWork, list[WalkedFile]]] = []
        nfiles = nbytes = 0

        def flush() -> None:
            nonlocal batch, nfiles, nbytes
            if not batch:
                return
            parts = batch
            for dw, _ in parts:
                dw.parts += 1
            jobs.append(
                _Job(
                    _task_files,
                    ([(dw.root, [f[0] for f in fs], [f[4] for f in fs]) for dw, fs in parts],),
                    nbytes,
                    f"{parts[0][0].mod.path}@{parts[0][0].mod.version}",
                    functools.partial(self.files_done, parts),
                    functools.partial(self.files_failed, parts),
                )
            )
            batch, nfiles, nbytes = [], 0, 0

        for dw, files in self.pending_files:
            start = 0
            for i, f in enumerate(files):
                if nfiles and (nbytes + f[1] > BATCH_BYTES or nfiles >= BATCH_FILES):
                    if i > start:
                        batch.append((dw, files[start:i]))
                    start = i
                    flush()
                nfiles += 1
                nbytes += f[1]
            if start < len(files):
                batch.append((dw, files[start:]))
        flush()
        self.pending_files = []
        return jobs

    def files_done(
        self, parts: list[tuple[_DirWork, list[WalkedFile]]], out: list[FilesOut]
    ) -> None:
        for (dw, files), (nbytes, digests, errors) in zip(parts, out, strict=True):
            rels = [f[0] for f in files]
            dw.digests.update(zip(rels, digests, strict=True))
            dw.hashed.extend(rels)
            for i, err in errors.items():
                dw.errors[rels[i]] = err
                del dw.digests[rels[i]]
            self.stats.files_hashed += len(files) - len(errors)
            self.stats.bytes_hashed += nbytes
            dw.parts -= 1
            if dw.parts == 0:
                self.finish_dir(dw)

    def files_failed(self, parts: list[tuple[_DirWork, list[WalkedFile]]], err: str) -> None:
        for dw, files in parts:
            for f in files:
                dw.errors.setdefault(f[0], err)
            dw.parts -= 1
            if dw.parts == 0:
                self.finish_dir(dw)

    def finish_dir(self, dw: _DirWork) -> None:
        if dw.resolved:
            return
        dw.resolved = True
        if dw.errors:
            # Go fails on the first file it cannot read, in name order.
            dw.error = dw.mod.dir_error = dw.errors[min(dw.errors)]
        else:
            # Every file walked has its digest now (and no other file has one).
            try:
                dw.mod.dir_h1 = hashing.hash1_under(dw.prefix, dw.digests)
            except ValueError:
                dw.error = dw.mod.dir_error = NEWLINE_ERROR
        self.remember(self._dir_store(dw))

    # ----------------------------------------------------------------- results
    def diff(self, key: tuple[str, str]) -> None:
        mod = self.mods[key]
        if mod.zip_h1 is None or mod.dir_h1 is None or mod.zip_h1 == mod.dir_h1:
            return
        zw, dw = self.zips.get(key), self.dirs.get(key)
        if zw is None or dw is None:
            return
        zip_files: dict[str, bytes] = {}
        if not zw.mod.zip_from_memo:
            zip_files = dict(zip((n for n, _ in zw.members), zw.digests, strict=True))
        elif self.memo is not None:
            entries = self.memo.get_zip_entries(zw.path, zw.ident)
            if entries is None:
                return
            zip_files = {n: d for n, _, d in entries}
        else:
            return
        if not dw.mod.dir_from_memo:
            dir_files = dw.digests
        elif self.memo is not None:
            dir_files = {k: v[3] for k, v in self.memo.get_files(dw.root).items()}
        else:
            return
        head = dw.prefix + "/"
        rel_zip = {(n[len(head) :] if n.startswith(head) else n): d for n, d in zip_files.items()}
        d = DirDiff()
        for name, digest in dir_files.items():
            z = rel_zip.get(name)
            if z is None:
                d.added.append(name)
            elif z != digest:
                d.edited.append(name)
        d.removed = [n for n in rel_zip if n not in dir_files]
        d.edited.sort()
        d.added.sort()
        d.removed.sort()
        mod.diff = d

    # ----------------------------------------------------------------- memo
    # What is learnt is stored as modules finish (while the workers are busy),
    # in batches, and the rest at the end.

    def _zip_store(self, zw: _ZipWork) -> ZipStore | None:
        m = zw.mod
        if m.zip_from_memo or m.zip_h1 is None or zw.ident.mtime_ns >= self.racy_cutoff:
            return None
        members = [(n, s, d) for (n, s), d in zip(zw.members, zw.digests, strict=True)]
        return ZipStore(zw.path, zw.ident, m.zip_h1, members)

    def _dir_store(self, dw: _DirWork) -> DirStore | None:
        if dw.mod.dir_from_memo or not dw.scanned or (dw.error is not None and not dw.files):
            return None
        # What is known of each file, kept even when the run was cancelled; the
        # directory's own memo only when all of it is known.
        complete = dw.resolved and dw.error is None and dw.fp is not None
        cutoff = self.racy_cutoff
        walked, digests = dw.files, dw.digests
        files: list[tuple[str, FileIdentity, bytes]] | FileColumns
        if (
            len(digests) == len(walked)
            and all(f[4] for f in walked)
            and (not walked or max(f[2] for f in walked) < cutoff)
        ):
            # Every file regular, hashed and not racy (the usual case): columns
            # straight from the walk, no object per file.
            files = FileColumns(
                [f[0] for f in walked],
                [f[1] for f in walked],
                [f[2] for f in walked],
                [f[3] for f in walked],
                b"".join([digests[f[0]] for f in walked]),
            )
        else:
            files = []
            for rel, size, mtime_ns, ino, regular in walked:
                digest = digests.get(rel)
                if not regular or digest is None or mtime_ns >= cutoff:
                    complete = False
                    continue
                files.append((rel, FileIdentity(size, mtime_ns, ino), digest))
        h1 = dw.mod.dir_h1 if complete else None
        fp = dw.fp if complete and h1 is not None else None
        old = dw.memo
        if (
            old is not None
            and not dw.hashed
            and not dw.stale_rows
            and (old.fingerprint, old.h1) == (fp, h1)
        ):
            return None  # nothing new
        return DirStore(dw.root, dw.prefix, fp, h1, len(dw.files), dw.nbytes, files)

    def remember(self, item: ZipStore | DirStore | None) -> None:
        if item is None or self.memo is None or not self.memo.usable:
            return
        if isinstance(item, ZipStore):
            self.store_zips.append(item)
            self.store_size += len(item.members)
        else:
            self.store_dirs.append(item)
            self.store_size += len(item.files)
        if self.store_size >= STORE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.memo is not None and (self.store_zips or self.store_dirs):
            self.memo.put(self.store_zips, self.store_dirs)
        self.store_zips, self.store_dirs, self.store_size = [], [], 0

    def store_rest(self) -> None:
        """At the end: what a cancelled run learnt of directories it did not finish."""
        for dw in self.dirs.values():
            if dw.scanned and not dw.resolved:
                self.remember(self._dir_store(dw))
        self.flush()

    # ----------------------------------------------------------------- running
    def run(self, plan: _Plan, runner: _Runner, walk_in_workers: bool) -> bool:
        return self.start(plan, runner, walk_in_workers) and self.finish(runner)

    def _on_done(self, job: _Job) -> None:
        if job.weight:
            self.credit(job.weight, job.label)

    def finish(self, runner: _Runner) -> bool:
        """Run the jobs submitted (and those their results bring) to the end."""
        ok = runner.run(self._on_done)
        self.report(force=True)
        return ok

    def start(self, plan: _Plan, runner: _Runner, walk_in_workers: bool) -> bool:
        """Submit the walks and the zip jobs (with a pool, they start at once);
        ``False`` if cancelled meanwhile."""
        self.runner = runner
        dirs = plan.dirs
        self.dir_by_root = {d.root: d for d in dirs}
        self.listing = len(dirs)

        def scan_done(outs: list[ScanOut]) -> None:
            for out in outs:
                self.scanned(out)
            if self.listing == 0:
                for job in self.file_jobs():
                    runner.submit(job)
                self.report(force=True)

        def scan_failed(items: list[tuple[str, bytes | None]], err: str) -> None:
            scan_done([(root, err, None, 0, 0, None) for root, _ in items])

        if walk_in_workers and dirs:
            for group in _groups(dirs, runner.slots):
                items = [(d.root, d.memo.fingerprint if d.memo else None) for d in group]
                runner.submit(
                    _Job(
                        _task_scan,
                        (items,),
                        0,
                        "",
                        scan_done,
                        functools.partial(scan_failed, items),
                    )
                )
        elif dirs:
            for d in dirs:
                if self.cancelled():
                    return False
                scan_done([_scan_dir(d.root, d.memo.fingerprint if d.memo else None)])
        else:
            self.report(force=True)
        # Whole zips, largest first; then the big ones, whose central directories
        # are read here while the workers are busy, in parts.
        zips = sorted(plan.zips, key=lambda kz: -kz[1].ident.size)
        for key, zw in zips:
            if zw.ident.size <= SPLIT_ZIP_AT:
                for job in self.zip_jobs(key, zw):
                    runner.submit(job)
        for key, zw in zips:
            if zw.ident.size > SPLIT_ZIP_AT:
                if self.cancelled():
                    return False
                for job in self.zip_jobs(key, zw):
                    runner.submit(job)
        return True


def _groups(dirs: list[_DirWork], workers: int) -> list[list[_DirWork]]:
    """Directories in about ``2 * workers`` groups of similar expected size."""
    n = min(len(dirs), 2 * workers)
    groups: list[list[_DirWork]] = [[] for _ in range(n)]
    loads = [0] * n
    for d in sorted(dirs, key=lambda d: -d.expect):
        i = loads.index(min(loads))
        groups[i].append(d)
        loads[i] += d.expect
    return [g for g in groups if g]


def _is_cancelled(cancel: Cancel | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return lambda: bool(cancel())
