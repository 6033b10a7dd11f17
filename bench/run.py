"""``python -m bench``: build (once) the corpus, measure, print the table.

Exits 0 whatever the figures (it is a measurement); a run that fails (a wrong
exit code or output) is reported as an error, and the exit code is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import REPO
from bench.corpus import MB, SIZES, ensure, go_version
from bench.harness import REGISTRY, Context, busy, load_average, machine, measure, table

#: Modules whose import registers measurements (later ones add their own here).
MEASUREMENT_MODULES = ("bench.measures", "bench.lsp_measures", "bench.watch_measures")
BASELINE = "go-verify"


def _warm_page_cache(root: Path) -> tuple[int, int, float]:
    """Read every file under ``root`` once (files, bytes, seconds)."""
    t0 = time.perf_counter()
    nfiles = nbytes = 0
    buf = bytearray(1 << 20)
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            try:
                fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError:
                continue
            try:
                while n := os.readv(fd, [buf]):
                    nbytes += n
            finally:
                os.close(fd)
            nfiles += 1
    return nfiles, nbytes, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    for mod in MEASUREMENT_MODULES:
        importlib.import_module(mod)
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--size",
        choices=sorted(SIZES),
        default=os.environ.get("BENCH_SIZE", "full"),
        help="corpus size (env BENCH_SIZE; default full; small for a quick sanity run)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=int(os.environ.get("BENCH_RUNS", "5")),
        help="timed runs of each measurement, medians reported (env BENCH_RUNS; default 5)",
    )
    p.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="comma-separated measurement names (env BENCH_ONLY; default: the default set)",
    )
    p.add_argument("--rebuild", action="store_true", help="rebuild the corpus")
    p.add_argument("--list", action="store_true", help="list the measurements and exit")
    p.add_argument("--json", metavar="FILE", help="also write the results here")
    args = p.parse_args(argv)

    if args.list:
        for m in REGISTRY.values():
            flag = "" if m.default else "  (not by default)"
            print(f"{m.name:14} {m.label}{flag}")
        return 0
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        p.error(f"unknown measurement(s): {', '.join(unknown)} (see --list)")
    selected = (
        [REGISTRY[n] for n in names] if names else [m for m in REGISTRY.values() if m.default]
    )
    # A target relative to another measurement needs that one too.
    for m in list(selected):
        for t in m.targets:
            rel = t.relative_to
            if rel is not None and rel in REGISTRY and REGISTRY[rel] not in selected:
                selected.append(REGISTRY[rel])
    # Keep registration order (the baseline first).
    selected.sort(key=lambda m: list(REGISTRY).index(m.name))
    if args.runs < 1:
        p.error("--runs must be at least 1")

    size = SIZES[args.size]
    base = REPO / ".bench"
    t0 = time.perf_counter()
    corpus = ensure(base, size, rebuild=args.rebuild)
    built_in = time.perf_counter() - t0
    mf = corpus.manifest
    corpus_line = (
        f"corpus {size.name!r}: {mf['modules']} modules, {mf['files']:,} files, "
        f"{mf['unzipped_bytes'] / MB:,.0f} MiB unzipped, {mf['zip_bytes'] / MB:,.0f} MiB of zips "
        f"(largest {mf['largest_zip_bytes'] / MB:.0f} MiB, {mf['zips_over_20mb']} over 20 MiB; "
        f"{mf['upper_case_paths']} upper-case paths, {mf['incompatible']} +incompatible, "
        f"{mf['pseudo_versions']} pseudo-versions), written by go mod download"
    )
    print(corpus_line)
    if built_in > 5:
        print(f"  corpus built in {built_in:.0f} s")

    nfiles, nbytes, secs = _warm_page_cache(corpus.gomodcache)
    print(
        f"page cache: warmed by reading all {nfiles:,} files ({nbytes / MB:,.0f} MiB) in {secs:.1f} s"
    )

    info = machine(go_version())
    load_before = load_average()
    print(f"load average before: {load_before}")
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    started = time.perf_counter()
    try:
        ctx = Context(corpus, tmp, args.runs)
        results = measure(ctx, selected, log=lambda s: print(s, flush=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    took = time.perf_counter() - started
    load_after = load_average()

    text, records = table(results, BASELINE)
    print()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['ram_gib']} GiB RAM, {info['os']}"
    )
    print(
        f"software: Python {info['python']}, {info['go']}, gomod-doctor {info['gomod_doctor']}, "
        f"inflate {info['inflate']}"
    )
    print(corpus_line)
    print(
        f"method: each figure is the median of {args.runs} runs (interleaved, after "
        f"{'one untimed run' if all(m.warmup == 1 for m in selected) else 'untimed runs'} "
        "of each), each a fresh process; CPU = user + system of it and its workers; "
        "hot page cache"
    )
    print(
        f"load average (1, 5, 15 min): {load_before} before, {load_after} after; "
        f"measuring took {took:.0f} s"
    )
    print()
    print(text)
    print()
    judged = [
        (r, t)
        for r in records
        if r.get("target")
        for t in r.get("targets") or [{"target": r["target"], "met": r.get("met")}]
    ]
    met = [t for _, t in judged if t.get("met")]
    for r, t in judged:
        state = (
            "ERROR"
            if r.get("error")
            else "met"
            if t.get("met")
            else "not judged"
            if t.get("met") is None
            else "NOT met"
        )
        print(f"target {r['label']}: {t['target']}: {state}")
    print(f"targets met: {len(met)} of {len(judged)}")
    cores = int(info["usable_cores"] or 1)
    if busy(load_before, cores) or busy(load_after, cores):
        print(
            f"WARNING: the machine was busy (load average {load_before} before, {load_after} "
            f"after, on {cores} cores): wall times are inflated, the CPU × go column is the "
            "steadier comparison; rerun on an idle machine for the wall-time targets"
        )
    if size.name != "full":
        print(f"(the targets are meant for the full corpus, not {size.name!r})")

    out = {
        "machine": info,
        "corpus": mf,
        "runs": args.runs,
        "load_before": load_before,
        "load_after": load_after,
        "results": records,
    }
    dest = Path(args.json) if args.json else base / f"results-{size.name}.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"results written to {dest}")
    return 1 if any(r.get("error") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
