"""Go's own golang.org/x/mod, run as a differential-testing oracle.

The Go toolchain vendors x/mod (``$GOROOT/src/cmd/vendor/golang.org/x/mod``). We
copy its ``semver``, ``module`` and ``internal/lazyregexp`` packages into a temp
directory, give them a go.mod, and build a small stdlib-only program against
them with a ``replace`` directive: no network, no module cache, no user state.
The program answers one request per line on stdin (the function name, then
tab-separated fields, each the hex of an argument's bytes, so any Go string can
be sent) with one line: ``R`` and then tab-separated hex fields; errors come back as ``"E" + err.Error()`` and panics as ``"P" + value``.

The build cache lives in a dedicated directory under the system temp dir so
that runs after the first take well under a second to build.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from gotool import GOROOT, isolated_env, run_go

XMOD = GOROOT / "src" / "cmd" / "vendor" / "golang.org" / "x" / "mod"

_MAIN_GO = r"""
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "E" + err.Error()
}

func boolText(x bool) string {
	if x {
		return "1"
	}
	return "0"
}

func protect(f func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = "P" + fmt.Sprint(r)
		}
	}()
	return f()
}

func withErr(s string, err error) string {
	if err != nil {
		return errText(err)
	}
	return "V" + s
}

func answer(fn string, args []string) []string {
	switch fn {
	case "semver":
		v := args[0]
		return []string{boolText(semver.IsValid(v)), semver.Canonical(v), semver.Major(v),
			semver.MajorMinor(v), semver.Prerelease(v), semver.Build(v), module.CanonicalVersion(v)}
	case "compare":
		return []string{fmt.Sprint(semver.Compare(args[0], args[1])), semver.Max(args[0], args[1])}
	case "sort":
		list := append([]string(nil), args...)
		semver.Sort(list)
		return list
	case "modsort":
		var list []module.Version
		for i := 0; i+1 < len(args); i += 2 {
			list = append(list, module.Version{Path: args[i], Version: args[i+1]})
		}
		module.Sort(list)
		var out []string
		for _, m := range list {
			out = append(out, m.Path, m.Version)
		}
		return out
	case "path":
		p := args[0]
		prefix, major, ok := module.SplitPathVersion(p)
		esc, escErr := module.EscapePath(p)
		return []string{errText(module.CheckPath(p)), errText(module.CheckImportPath(p)),
			errText(module.CheckFilePath(p)), prefix, major, boolText(ok), withErr(esc, escErr)}
	case "check":
		return []string{errText(module.Check(args[0], args[1]))}
	case "pathmajor":
		v, pm := args[0], args[1]
		return []string{errText(module.CheckPathMajor(v, pm)), boolText(module.MatchPathMajor(v, pm)),
			protect(func() string { return "V" + module.PathMajorPrefix(pm) })}
	case "version":
		v := args[0]
		esc, escErr := module.EscapeVersion(v)
		return []string{withErr(esc, escErr)}
	case "unescape":
		p, pErr := module.UnescapePath(args[0])
		v, vErr := module.UnescapeVersion(args[0])
		return []string{withErr(p, pErr), withErr(v, vErr)}
	case "pseudo":
		v := args[0]
		base, baseErr := module.PseudoVersionBase(v)
		t, tErr := module.PseudoVersionTime(v)
		rev, revErr := module.PseudoVersionRev(v)
		return []string{boolText(module.IsPseudoVersion(v)), boolText(module.IsZeroPseudoVersion(v)),
			withErr(base, baseErr), withErr(t.Format(module.PseudoVersionTimestampFormat), tErr),
			withErr(rev, revErr)}
	case "mkpseudo":
		t, err := time.Parse(module.PseudoVersionTimestampFormat, args[2])
		if err != nil {
			return []string{errText(err)}
		}
		return []string{"V" + module.PseudoVersion(args[0], args[1], t, args[3])}
	case "zeropseudo":
		return []string{module.ZeroPseudoVersion(args[0])}
	case "match":
		ok, err := path.Match(args[0], args[1])
		return []string{boolText(ok), errText(err)}
	case "prefix":
		return []string{boolText(module.MatchPrefixPatterns(args[0], args[1]))}
	case "versionerror":
		inner := error(&module.InvalidVersionError{Version: args[2], Pseudo: args[3] == "1",
			Err: fmt.Errorf("%s", args[4])})
		if args[5] == "module" {
			inner = &module.ModuleError{Path: args[0], Version: args[1], Err: inner}
		}
		return []string{module.VersionError(module.Version{Path: args[0], Version: args[1]}, inner).Error()}
	}
	return []string{"Punknown request " + fn}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		fields := strings.Split(in.Text(), "\t")
		args := make([]string, 0, len(fields)-1)
		for _, f := range fields[1:] {
			d, err := hex.DecodeString(f)
			if err != nil {
				panic(err)
			}
			args = append(args, string(d))
		}
		out.WriteString("R")
		for _, r := range answer(fields[0], args) {
			out.WriteByte('\t')
			out.WriteString(hex.EncodeToString([]byte(r)))
		}
		out.WriteByte('\n')
		out.Flush()
	}
}
"""


def _go_bytes(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def _gocache() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"gomod-doctor-test-gocache-{uid}"


def build_oracle(workdir: Path) -> Path:
    """Copy the vendored x/mod into ``workdir`` and build the oracle program there."""
    xmod = workdir / "xmod"
    for pkg in ("semver", "module", "internal/lazyregexp"):
        shutil.copytree(XMOD / pkg, xmod / pkg)
    (xmod / "go.mod").write_text("module golang.org/x/mod\n\ngo 1.22\n")
    prog = workdir / "prog"
    prog.mkdir()
    (prog / "go.mod").write_text(
        "module example.com/oracle\n\ngo 1.27\n\n"
        "require golang.org/x/mod v0.0.0\n\n"
        "replace golang.org/x/mod => ../xmod\n"
    )
    (prog / "main.go").write_text(_MAIN_GO)
    env = isolated_env(workdir / "env", GOCACHE=str(_gocache()), GOFLAGS="-mod=mod")
    exe = workdir / "oracle"
    r = run_go(["build", "-o", str(exe), "."], prog, env, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"building the x/mod oracle failed:\n{r.stderr}")
    return exe


class Oracle:
    """A running oracle process; :meth:`ask` sends one request and returns the answer."""

    def __init__(self, exe: Path) -> None:
        self._proc = subprocess.Popen(
            [str(exe)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=False,
        )
        self._lock = threading.Lock()

    def ask(self, fn: str, *args: str) -> list[str]:
        line = "\t".join([fn, *(_go_bytes(a).hex() for a in args)]) + "\n"
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            self._proc.stdin.write(line.encode("ascii"))
            self._proc.stdin.flush()
            reply = self._proc.stdout.readline()
        if not reply:
            raise RuntimeError("the x/mod oracle exited")
        fields = reply.decode("ascii").rstrip("\n").split("\t")
        assert fields[0] == "R", reply
        return [bytes.fromhex(f).decode("utf-8", "surrogateescape") for f in fields[1:]]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)


_oracle: Oracle | None = None
_oracle_lock = threading.Lock()


def oracle() -> Oracle:
    """The process-wide oracle, built on first use."""
    global _oracle
    with _oracle_lock:
        if _oracle is None:
            workdir = Path(tempfile.mkdtemp(prefix="gomod-doctor-xmod-oracle-"))
            atexit.register(shutil.rmtree, workdir, True)
            _oracle = Oracle(build_oracle(workdir))
            atexit.register(_oracle.close)
        return _oracle
