"""A realistic module cache for the benchmarks, written by the real go.

:func:`ensure` generates module zips into a ``file://`` GOPROXY directory
(deterministic pseudo-random Go-like sources, a few binary test data files),
writes a workspace that requires every module and imports a package of each, and
runs ``go mod download -json all`` in an isolated environment, so that go itself
fetches, checks and extracts every module into the benchmark's GOMODCACHE. The
result is kept under ``.bench/<size>/`` with a manifest; it is rebuilt only when
the manifest does not match :data:`GENERATOR_VERSION` and the size.

The ``full`` size has 250 modules, about 1 GB of files (about 90,000) and about
300 MB of zips: a few large modules (20-40 MB zips, like the big SDKs) and a long
tail of small ones. Paths include upper-case letters (``!``-escaped in the cache),
``/vN`` and ``gopkg.in`` majors; versions include ``+incompatible`` (no go.mod),
pseudo-versions and pre-releases.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gomod_doctor.module.escape import escape_path, escape_version
from gotool import GO, isolated_env  # on sys.path through bench/__init__.py

GENERATOR_VERSION = "1"
SEED = 20240917
MB = 1 << 20


@dataclass(frozen=True)
class Size:
    """How big a corpus to make (bytes are of the extracted text files)."""

    name: str
    modules: int
    text_bytes: int
    files: int
    large: tuple[int, ...]  # text bytes of the few large modules (the rest share what is left)
    binary_share: float = 0.012  # of all bytes: incompressible test data files


SIZES = {
    # Files overshoot their drawn size by half a block on average, and the binary
    # files and READMEs come on top: 940 MiB of text make about 1000 MiB.
    "full": Size("full", 250, 940 * MB, 90_000, (125 * MB, 105 * MB, 90 * MB, 80 * MB, 70 * MB)),
    "small": Size("small", 40, 60 * MB, 5_500, (18 * MB,)),
}


@dataclass
class Module:
    """One module version of the corpus (what the generator decided)."""

    path: str
    version: str
    text_bytes: int
    files: int
    seed: int
    has_go_mod: bool = True
    binary: int = 0  # bytes of binary test data
    package: str = ""  # import path of the package the workspace imports


@dataclass
class Built:
    """What a generator task produced for one module."""

    path: str
    version: str
    files: int
    unzipped: int
    zipped: int


@dataclass
class Corpus:
    """A built corpus: the workspace, the go environment and the totals."""

    root: Path
    size: Size
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def workspace(self) -> Path:
        return self.root / "work"

    @property
    def goenv_base(self) -> Path:
        return self.root / "goenv"

    def go_env(self, **extra: str) -> dict[str, str]:
        """The isolated go environment of the corpus (no proxy, no network)."""
        return isolated_env(self.goenv_base, **extra)

    @property
    def gomodcache(self) -> Path:
        return Path(self.go_env()["GOMODCACHE"])


# --------------------------------------------------------------------------- names


def _words(text: str) -> list[str]:
    return text.split()


_SYL = _words(
    "ba be bi bo bu ca ce ci co da de di do fa fe fi fo ga ge gi go ha he hi ho ja je jo "
    "ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro "
    "ru sa se si so su ta te ti to tu va ve vi vo wa we wi xa xe ya yo za ze zi zo"
)
_WORDS = _words(
    "the a an of to in is it that for on with as by this be are from or at which not "
    "returns value error string list map key node client request response config option "
    "context buffer reader writer index count size name type field method server handler "
    "token path file data cache result state update create delete get set new check valid "
    "parse encode decode"
)
_NOUNS = _words(
    "api auth cache cli codec conf core crypto db dns event flag grpc http io json kv "
    "lock log metrics mux net oauth otel pool proto queue retry rpc sdk sql store sync "
    "text trace util uuid xml yaml zap"
)
_STD = _words(
    "bytes context encoding/json errors fmt io net/http os path/filepath sort strconv "
    "strings sync time unicode/utf8"
)
_FIELD_TYPES = ("string", "int", "int64", "bool", "[]byte", "time.Duration", "error")


def _word(rng: random.Random, lo: int = 1, hi: int = 3) -> str:
    return "".join(rng.choice(_SYL) for _ in range(rng.randint(lo, hi)))


def _ident(rng: random.Random, exported: bool) -> str:
    w = _word(rng)
    if rng.random() < 0.6:
        w += rng.choice(_WORDS).capitalize()
    return w[0].upper() + w[1:] if exported else w


def _camel(rng: random.Random) -> str:
    return _word(rng, 1, 2).capitalize() + _word(rng, 1, 2).capitalize()


def _package_name(elem: str) -> str:
    """A Go package name for a path element (``yaml.v3`` -> ``yaml``)."""
    name = "".join(c for c in elem.split(".")[0].lower() if c.isalnum())
    return name if name and not name[0].isdigit() else "p" + name


def _pseudo(rng: random.Random, base: str = "v0.0.0-") -> str:
    t = time.gmtime(1_600_000_000 + rng.randrange(120_000_000))
    return f"{base}{time.strftime('%Y%m%d%H%M%S', t)}-{rng.getrandbits(48):012x}"


def plan(size: Size) -> list[Module]:
    """The modules of a corpus of ``size`` (deterministic)."""
    rng = random.Random(SEED)
    n = size.modules
    # Sizes: the large ones, then a log-normal tail scaled to what is left.
    tail = [rng.lognormvariate(0, 1.4) for _ in range(n - len(size.large))]
    left = size.text_bytes - sum(size.large)
    scale = left / sum(tail)
    text = list(size.large) + [max(4000, int(t * scale)) for t in sorted(tail, reverse=True)]
    # Files: bytes over a per-module mean file size (log-normal around 11 KB).
    raw_files = [b / (11_000 * rng.lognormvariate(0, 0.35)) for b in text]
    fscale = size.files / sum(raw_files)
    nfiles = [max(3, round(f * fscale)) for f in raw_files]

    mods: list[Module] = []
    taken: set[str] = set()
    for i in range(n):
        r = rng.random()
        version = f"v{rng.choice((0, 1, 1, 1))}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"
        has_go_mod = True
        while True:
            org = _word(rng, 2, 3)
            repo = rng.choice(_NOUNS) + (rng.choice(("", "", "-go", "x", "kit")))
            if rng.random() < 0.18:
                org = _camel(rng)  # upper case: escaped with "!" in the cache
            if rng.random() < 0.05:
                repo = repo.capitalize()
            host = rng.random()
            if host < 0.72:
                path = f"github.com/{org}/{repo}"
            elif host < 0.78:
                path = f"golang.org/x/{repo}"
            elif host < 0.84:
                path = f"go.{org.lower()}.io/{repo}"
            elif host < 0.90:
                path = f"cloud.{org.lower()}.com/go/{repo}"
            elif host < 0.95:
                path = f"k8s.io/{org}{repo}"
            else:
                path = f"gitlab.com/{org}/{repo}"
            if r < 0.08:  # a major version suffix
                major = rng.randint(2, 5)
                if path.startswith("github.com/") and rng.random() < 0.75:
                    path += f"/v{major}"
                else:
                    path = f"gopkg.in/{repo}.v{major}"
                version = f"v{major}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
            elif r < 0.12:  # a legacy v2+ module without go.mod
                version = f"v{rng.randint(2, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
                version += "+incompatible"
                has_go_mod = False
            elif r < 0.25:
                version = _pseudo(rng)
            elif r < 0.28:
                base = f"v1.{rng.randint(0, 20)}.{rng.randint(1, 9)}-0."
                version = _pseudo(rng, base)
            elif r < 0.31:
                version += rng.choice(("-rc.1", "-beta.2", "-RC1", "-Alpha"))
            if not any(
                path == t or path.startswith(t + "/") or t.startswith(path + "/") for t in taken
            ):
                break
        taken.add(path)
        elems = [e for e in path.split("/") if not (e[:1] == "v" and e[1:].isdigit())]
        binary = 0
        if rng.random() < 0.12 or i < len(size.large):
            binary = int(size.binary_share * size.text_bytes / (0.12 * n + len(size.large)))
            binary = max(2000, int(binary * rng.lognormvariate(0, 0.8)))
        mods.append(
            Module(
                path,
                version,
                text[i],
                nfiles[i],
                rng.getrandbits(32),
                has_go_mod,
                binary,
                package=path if rng.random() < 0.7 else f"{path}/{_package_name(elems[-1])}util",
            )
        )
    return mods


# --------------------------------------------------------------------------- content


class _Source:
    """Go-like text from a module's vocabulary: blocks (a type or a function with
    a doc comment) drawn from a pool, so that files compress like real sources
    (about 3.4x with deflate)."""

    def __init__(self, rng: random.Random, pool_blocks: int) -> None:
        self.rng = rng
        self.types = [_ident(rng, True) for _ in range(60)]
        self.funcs = [_ident(rng, True) for _ in range(200)]
        self.vars = [_ident(rng, False) for _ in range(120)]
        self.pool = [self._block().encode() for _ in range(pool_blocks)]

    def _sentence(self, lo: int, hi: int) -> str:
        rng = self.rng
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(lo, hi)))

    def _block(self) -> str:
        rng = self.rng
        types = rng.sample(self.types, 3)
        funcs = rng.sample(self.funcs, 4)
        vs = rng.sample(self.vars, 3)
        t = types[0]
        out: list[str] = []
        if rng.random() < 0.15:
            out.append(f"// {t} {self._sentence(4, 12)}.\ntype {t} struct {{\n")
            for _ in range(rng.randint(2, 9)):
                ft = rng.choice((*_FIELD_TYPES, "*" + types[1], "map[string]" + types[2]))
                tag = f' `json:"{rng.choice(vs)},omitempty"`' if rng.random() < 0.5 else ""
                out.append(f"\t{rng.choice(self.funcs)} {ft}{tag}\n")
            out.append("}\n\n")
            return "".join(out)
        f = rng.choice(self.funcs)
        a, b = vs[0], vs[1]
        out.append(f"// {f} {self._sentence(5, 16)}.\n")
        if rng.random() < 0.7:
            out.append(
                f"func ({a[0]} *{t}) {f}(ctx context.Context, {b} {types[1]})"
                f" ({types[2]}, error) {{\n"
            )
        else:
            out.append(f"func {f}({a} string, {b} int) error {{\n")
        for _ in range(rng.randint(3, 22)):
            k = rng.random()
            ind = "\t" * rng.randint(1, 3)
            v1, v2 = rng.choice(vs), rng.choice(vs)
            if k < 0.2:
                out.append(
                    f"{ind}if err := {v1}.{rng.choice(funcs)}(ctx, {v2}); err != nil {{\n"
                    f"{ind}\treturn nil, err\n{ind}}}\n"
                )
            elif k < 0.4:
                out.append(f"{ind}{v1} := {v2}.{rng.choice(funcs)}({rng.randint(0, 4096)})\n")
            elif k < 0.5:
                out.append(
                    f"{ind}for i, {v1} := range {v2}.{rng.choice(funcs)} {{\n{ind}\t_ = i\n{ind}}}\n"
                )
            elif k < 0.6:
                out.append(f"{ind}// {self._sentence(3, 14)}\n")
            elif k < 0.7:
                out.append(f'{ind}{v1}.{rng.choice(funcs)} = "{rng.choice(self.vars)}"\n')
            elif k < 0.8:
                out.append(
                    f"{ind}switch {v1} {{\n{ind}case {rng.randint(0, 99)}:\n"
                    f"{ind}\treturn {v2}, nil\n{ind}}}\n"
                )
            else:
                out.append(
                    f"{ind}{v1}, err := {rng.choice(types)}{{{rng.choice(funcs)}: {v2}}}"
                    f".{rng.choice(funcs)}()\n"
                )
        out.append("\treturn nil, nil\n}\n\n")
        return "".join(out)

    def go_file(self, package: str, size: int, test: bool) -> bytes:
        rng = self.rng
        imports = sorted(rng.sample(_STD, rng.randint(1, 5)))
        if test:
            imports = sorted({*imports, "testing"})
        head = f"package {package}\n\nimport (\n" + "".join(f'\t"{i}"\n' for i in imports)
        parts = [head.encode() + b")\n\n"]
        got = len(parts[0])
        pool = self.pool
        while got < size:
            blk = rng.choice(pool)
            parts.append(blk)
            got += len(blk)
        return b"".join(parts)

    def text_file(self, size: int) -> bytes:
        lines: list[str] = []
        got = 0
        while got < size:
            line = self._sentence(6, 14).capitalize() + ".\n"
            lines.append(line)
            got += len(line)
        return "".join(lines).encode()


_LICENSE = (
    b"Copyright (c) The Authors. All rights reserved.\n\n"
    b"Redistribution and use in source and binary forms, with or without\n"
    b"modification, are permitted provided that the following conditions are met:\n"
    b"the above copyright notice, this list of conditions and the disclaimer.\n"
) * 6


def module_files(m: Module) -> dict[str, bytes]:
    """The files of a module (relative names), generated from its seed."""
    rng = random.Random(m.seed)
    src = _Source(rng, max(60, min(1200, m.text_bytes // 8000)))
    files: dict[str, bytes] = {"LICENSE": _LICENSE}
    if m.has_go_mod:
        files["go.mod"] = f"module {m.path}\n\ngo 1.21\n".encode()
    files["README.md"] = src.text_file(rng.randint(500, 6000))
    base = [e for e in m.path.split("/") if not (e[:1] == "v" and e[1:].isdigit())][-1]
    root_pkg = _package_name(base)
    # Package directories: the root, the one the workspace may import, and more.
    ngo = max(2, m.files - len(files))
    dirs = ["", f"{root_pkg}util"]
    while len(dirs) < max(2, ngo // 12):
        depth = rng.choice((1, 1, 2, 2, 3))
        top = rng.choice(("", "", "internal/", "pkg/", "cmd/"))
        d = top + "/".join(_word(rng, 1, 2) for _ in range(depth))
        if d not in dirs:
            dirs.append(d)
    text_left = m.text_bytes - sum(len(v) for v in files.values())
    mean = max(200, text_left // ngo)
    sigma = 0.9
    mu = math.log(mean) - sigma * sigma / 2
    for k in range(ngo):
        d = dirs[k] if k < len(dirs) else rng.choice(dirs)
        pkg = _package_name(d.rsplit("/", 1)[-1]) if d else root_pkg
        test = rng.random() < 0.2
        while True:
            name = _word(rng, 1, 3) + ("_test.go" if test else ".go")
            rel = f"{d}/{name}" if d else name
            if rel not in files:
                break
        size = min(2 * MB, max(150, int(rng.lognormvariate(mu, sigma))))
        files[rel] = src.go_file(pkg, size, test)
    left = m.binary
    while left > 0:
        n = min(left, max(1000, int(rng.lognormvariate(math.log(60_000), 1.0))), 4 * MB)
        ext = rng.choice((".bin", ".png", ".gz", ".pb"))
        files[f"testdata/{_word(rng, 2, 3)}{ext}"] = rng.randbytes(n)
        left -= n
    return files


# --------------------------------------------------------------------------- building


def _write_module(proxy: str, m: Module) -> Built:
    """Write one module's zip, .mod, .info and list into the proxy directory."""
    files = module_files(m)
    d = os.path.join(proxy, escape_path(m.path), "@v")
    os.makedirs(d, exist_ok=True)
    ev = escape_version(m.version)
    prefix = f"{m.path}@{m.version}/"
    zpath = os.path.join(d, ev + ".zip")
    with zipfile.ZipFile(zpath + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(prefix + name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    os.replace(zpath + ".tmp", zpath)
    gomod = files.get("go.mod", f"module {m.path}\n".encode())
    with open(os.path.join(d, ev + ".mod"), "wb") as f:
        f.write(gomod)
    info_time = "2024-01-02T03:04:05Z"
    with open(os.path.join(d, ev + ".info"), "w") as f:
        json.dump({"Version": m.version, "Time": info_time}, f)
    with open(os.path.join(d, "list"), "w") as f:
        f.write("" if "-0." in m.version or m.version.startswith("v0.0.0-") else m.version + "\n")
    return Built(
        m.path, m.version, len(files), sum(map(len, files.values())), os.path.getsize(zpath)
    )


def _write_workspace(ws: Path, mods: list[Module]) -> None:
    ws.mkdir(parents=True, exist_ok=True)
    lines = ["module example.com/benchws", "", "go 1.21", "", "require ("]
    lines += [f"\t{m.path} {m.version}" for m in mods]
    lines += [")", ""]
    (ws / "go.mod").write_text("\n".join(lines))
    body = "package benchws\n\nimport (\n"
    body += "".join(f'\t_ "{p}"\n' for p in sorted(m.package for m in mods))
    (ws / "deps.go").write_text(body + ")\n")


def remove_tree(path: Path) -> None:
    """Remove a tree even where go made it read-only."""
    if not path.exists():
        return
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    os.chmod(path, 0o755)
    shutil.rmtree(path)


def go_version() -> str:
    out = subprocess.run(
        [GO, "version"],
        capture_output=True,
        text=True,
        check=False,
        env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": "/"},
    )
    return out.stdout.strip() or out.stderr.strip()


def _manifest_key(size: Size) -> dict[str, Any]:
    key = {"generator": GENERATOR_VERSION, "size": asdict(size)}
    parsed: dict[str, Any] = json.loads(json.dumps(key))  # as a manifest reads back
    return parsed


def ensure(
    base: Path, size: Size, *, rebuild: bool = False, log: Callable[[str], None] = print
) -> Corpus:
    """The corpus of ``size`` under ``base/<size>``, built when missing or stale."""
    root = base.resolve() / size.name
    corpus = Corpus(root, size)
    mf = root / "manifest.json"
    if not rebuild and mf.exists():
        try:
            manifest = json.loads(mf.read_text())
        except ValueError:
            manifest = {}
        if {k: manifest.get(k) for k in ("generator", "size")} == _manifest_key(size) and (
            corpus.workspace / "go.sum"
        ).exists():
            corpus.manifest = manifest
            return corpus
    log(f"building the {size.name} corpus under {root} (once; kept until the generator changes)")
    remove_tree(root)
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    mods = plan(size)
    proxy = root / "proxy"
    proxy.mkdir()
    # Largest first, so that both workers stay busy to the end.
    order = sorted(mods, key=lambda m: -m.text_bytes)
    with ProcessPoolExecutor(os.cpu_count() or 1) as ex:
        built = list(ex.map(_write_module, [str(proxy)] * len(order), order, chunksize=1))
    t_gen = time.perf_counter() - t0
    zipped = sum(b.zipped for b in built)
    unzipped = sum(b.unzipped for b in built)
    nfiles = sum(b.files for b in built)
    log(
        f"  generated {len(built)} module zips: {zipped / MB:.0f} MiB of zips, "
        f"{unzipped / MB:.0f} MiB in {nfiles} files ({t_gen:.0f} s)"
    )
    _write_workspace(corpus.workspace, mods)
    env = corpus.go_env(GOPROXY=proxy.as_uri(), GOFLAGS="-mod=mod")
    t1 = time.perf_counter()
    res = subprocess.run(
        [GO, "mod", "download", "-json", "all"],
        cwd=corpus.workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    t_go = time.perf_counter() - t1
    if res.returncode != 0:
        raise RuntimeError(f"go mod download failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    dec = json.JSONDecoder()
    downloads: list[dict[str, Any]] = []
    text, i = res.stdout, 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        downloads.append(obj)
    bad = [d for d in downloads if d.get("Error") or not d.get("Zip") or not d.get("Dir")]
    if bad or len(downloads) != len(mods):
        raise RuntimeError(f"go mod download: {len(downloads)} modules, problems: {bad[:3]}")
    sums = (corpus.workspace / "go.sum").read_text().splitlines()
    if len(sums) != 2 * len(mods):
        raise RuntimeError(f"go.sum has {len(sums)} lines for {len(mods)} modules")
    log(f"  go mod download -json all: extracted into {corpus.gomodcache} ({t_go:.0f} s)")
    remove_tree(proxy)  # go has its own copy of every zip now
    manifest = {
        **_manifest_key(size),
        "modules": len(mods),
        "files": nfiles,
        "unzipped_bytes": unzipped,
        "zip_bytes": zipped,
        "largest_zip_bytes": max(b.zipped for b in built),
        "zips_over_20mb": sum(b.zipped > 20 * MB for b in built),
        "upper_case_paths": sum(m.path != m.path.lower() for m in mods),
        "incompatible": sum(m.version.endswith("+incompatible") for m in mods),
        "pseudo_versions": sum("-0." in m.version or m.version.startswith("v0.0.0-") for m in mods),
        "go": go_version(),
        "generate_seconds": round(t_gen, 1),
        "download_seconds": round(t_go, 1),
    }
    mf.write_text(json.dumps(manifest, indent=1) + "\n")
    corpus.manifest = manifest
    return corpus
