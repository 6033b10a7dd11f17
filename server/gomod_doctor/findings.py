"""The finding model shared by the engine, the CLI and the language server.

Every finding has a stable ``code``, a ``severity``, an exact ``range`` in one file,
a ``message`` in the go command's own words where go has words, and the ``data``
its fixes need. Codes and their default severities are listed in :data:`CATALOG`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from gomod_doctor.position import Range


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` gives the worst. Values match LSP's reverse order."""

    HINT = 1
    INFORMATION = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def parse(text: str) -> Severity:
        try:
            return Severity[text.strip().upper()]
        except KeyError:
            aliases = {"info": Severity.INFORMATION, "warn": Severity.WARNING}
            if text.strip().lower() in aliases:
                return aliases[text.strip().lower()]
            raise ValueError(
                f"unknown severity {text!r} (want error, warning, information, hint or off)"
            ) from None


#: What each severity means, for every code (the catalog's preamble).
SEVERITY_MEANING: dict[Severity, str] = {
    Severity.ERROR: "the go command fails on it, or builds with altered code, until it is fixed",
    Severity.WARNING: "go goes on, but something is wrong: the leftover of an interrupted "
    "command, a proxy or setting that a later command trips over, a private path sent to "
    "public services",
    Severity.INFORMATION: "worth knowing, nothing is wrong: e.g. how many module versions the "
    "next build downloads, and from where",
    Severity.HINT: "a detail on the line it is about, nothing to do: VS Code draws no squiggle "
    "and leaves it out of the Problems panel, `check` prints it only with `--hints` (JSON and "
    "SARIF always hold it): e.g. each module version the next build downloads",
}


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    meaning: str
    fixes: str = ""


CATALOG: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(
            "parse-error",
            Severity.ERROR,
            "go.mod or go.work does not parse as the go command parses it, or has a `retract` "
            "that go rejects when it loads the file (no `module` line; a version of another "
            "major); the message is go's own.",
            "Edit the line.",
        ),
        CodeInfo(
            "sum-malformed",
            Severity.ERROR,
            "A go.sum line that the go command rejects (`malformed go.sum`).",
            "Delete the line, then `go mod tidy` or `go mod download`.",
        ),
        CodeInfo(
            "sum-conflict",
            Severity.ERROR,
            "Git merge-conflict markers in go.sum.",
            "Resolve the conflict: keep both sides, drop the markers.",
        ),
        CodeInfo(
            "sum-duplicate",
            Severity.WARNING,
            "Two different hashes for one go.sum line (go uses the first; the module "
            "cache tells which is right). An identical repeated line is a hint.",
            "Remove the wrong duplicate line.",
        ),
        CodeInfo(
            "sum-missing",
            Severity.ERROR,
            "go.sum lacks lines the build needs (go's `missing go.sum entry` texts): one "
            "finding per `require` line, naming every missing go.sum line (the `/go.mod` "
            "line, the zip's line); its data lists them. Information where go adds them "
            "itself: in workspace mode (go.work.sum) and with `-mod=mod` (go.sum).",
            "`download` (adds the missing go.sum entries with the go command).",
        ),
        CodeInfo(
            "sum-mismatch",
            Severity.ERROR,
            "The cache agrees with itself, but go.sum's hash differs, for the zip or the "
            "`/go.mod` line (go's `checksum mismatch`). Online, also for a module not in the "
            "cache: the go.mod the GOPROXY serves differs from go.sum's `/go.mod` line (go's "
            "`verifying M@V/go.mod: checksum mismatch` and its SECURITY ERROR), on that "
            "go.sum line.",
            "`redownload`, then re-verify (for a module in the cache).",
        ),
        CodeInfo(
            "cache-missing",
            Severity.HINT,
            "A module version the build needs is not in the module cache yet, on its "
            "`require` (or `replace`) line: says which files the next build downloads and "
            "from where. A hint, since go simply downloads it; when go cannot (GOPROXY=off, "
            "a proxy that fails for it, a private path with no route), the finding that "
            "says why (`proxy-config`, `proxy-unreachable`, `proxy-error`, "
            "`proxy-not-found`, `sumdb-untrusted`) takes its place as an error.",
            "`download`.",
        ),
        CodeInfo(
            "cache-missing-summary",
            Severity.INFORMATION,
            "On the `module` line: how many needed module versions are not in the module "
            "cache yet, and from where the next build downloads them (the first GOPROXY "
            "entry, or directly for GOPRIVATE/GONOPROXY paths). Its data lists them all.",
            '`download --missing` ("Download all missing modules").',
        ),
        CodeInfo(
            "modcache-unusable",
            Severity.ERROR,
            "There is no usable module cache (neither GOMODCACHE nor GOPATH set, GOMODCACHE "
            "not a directory or relative): one error on the `module` line, in go's words, "
            "instead of a finding per module.",
            "Set GOMODCACHE (or GOPATH) to a directory: `go env -w GOMODCACHE=...`.",
        ),
        CodeInfo(
            "cache-incomplete",
            Severity.WARNING,
            "An interrupted download or extraction: `.partial` or temp leftovers, a "
            "zero-byte `.mod`.",
            "`redownload`; `clear`.",
        ),
        CodeInfo(
            "download-rejected",
            Severity.INFORMATION,
            "A `.zip*.tmp` that is a whole module zip hashing to another value than "
            "go.sum's: go downloaded it and refused it (`verifying M@V: checksum "
            "mismatch` ... SECURITY ERROR), not an interrupted download. go removes it on "
            "its next download of the version, which fails the same way while the source "
            "serves those bits.",
            "`compare-proxies`: find out where the bits come from.",
        ),
        CodeInfo(
            "cache-corrupt",
            Severity.ERROR,
            "An unreadable zip, a zip that does not hash to its `.ziphash` (or an altered "
            "`.ziphash`), a zip without its `.ziphash` (go mod verify: `missing ziphash: "
            "open …: no such file or directory`; go build writes it again), an unreadable "
            "cached `.mod`.",
            "`redownload`; `clear`.",
        ),
        CodeInfo(
            "cache-modified",
            Severity.ERROR,
            "The extracted dir differs from the module's hash: files edited, added or "
            "removed. go builds with them without a word (and go's module index in GOCACHE "
            "may list the changed set of files).",
            "`redownload`; `clear` (both also drop the dir's module index entry).",
        ),
        CodeInfo(
            "build-cache-stale",
            Severity.WARNING,
            "go's module index in GOCACHE lists a different set of files than a needed "
            "module dir holds (go keys it by the dir's path alone): go builds with the "
            "indexed file list, so a file gone fails the build (`open …: no such file or "
            "directory`) and a file added is left out.",
            "`drop-index` (drops that one GOCACHE entry; go indexes the dir afresh).",
        ),
        CodeInfo(
            "replace-missing",
            Severity.ERROR,
            "A directory replacement does not exist, or has no go.mod.",
            "Remove or disable the replace, or point it at the right directory.",
        ),
        CodeInfo(
            "replace-path-mismatch",
            Severity.WARNING,
            "The replacement directory's go.mod declares a different module path.",
            "Point the replace at the right checkout.",
        ),
        CodeInfo(
            "replace-unused",
            Severity.HINT,
            "The replaced module is not in the build, or go.work replaces the same module "
            "(go's `overridden by go.work's replace`).",
            "Remove the replace.",
        ),
        CodeInfo(
            "import-missing",
            Severity.ERROR,
            "An import of the workspace's own code (or a go.mod `tool` package, on its "
            "line) that no module of the build list provides, at the import (go's `no required module provides package`, or "
            "`is replaced but not required` when only a `replace` names the module). A "
            "warning in test files; information with `-mod=mod`, where go adds it itself.",
            "`go get` the package (go's own advice, in the message).",
        ),
        CodeInfo(
            "module-path-mismatch",
            Severity.ERROR,
            "A dependency's go.mod, or a module replacement's, declares another module path "
            "(go's `module declares its path as: ... but was required as: ...`), on the "
            "require line that brings it in, after go's chain of requirements.",
            "Require the path the module declares, or fix the replacement.",
        ),
        CodeInfo(
            "module-gomod-invalid",
            Severity.ERROR,
            "A go.mod go reads while loading the module graph has no module line or does not "
            "parse (a dependency's, or a replacement directory's: `parsing go.mod: ...`).",
            "Fix the replacement's go.mod, or require another version.",
        ),
        CodeInfo(
            "module-used-twice",
            Severity.ERROR,
            "One module version (or directory) provides two module paths through "
            "replacements (go's `used for two different module paths`).",
            "Remove one of the replacements.",
        ),
        CodeInfo(
            "vendor-inconsistent",
            Severity.ERROR,
            "In vendor mode (go 1.14+ and a vendor directory, or `-mod=vendor`), "
            "vendor/modules.txt disagrees with go.mod or go.work (go's `inconsistent "
            "vendoring`), on the line concerned. Cache findings do not apply in vendor mode: "
            "go reads no module cache then.",
            "`go mod vendor` (`go work vendor` in a workspace).",
        ),
        CodeInfo(
            "version-invalid",
            Severity.WARNING,
            "A required version the origin refuses to make: `+incompatible` on a v0/v1 "
            "version (go's words when it fetches it directly or through proxy.golang.org; "
            "a cached copy or a lenient proxy still builds).",
            "Require the version without `+incompatible`.",
        ),
        CodeInfo(
            "work-use-missing",
            Severity.ERROR,
            "A go.work `use` directory is missing or has no go.mod.",
            "Fix or remove the `use` line.",
        ),
        CodeInfo(
            "work-use-duplicate",
            Severity.ERROR,
            "go.work lists one `use` directory twice, or two directories of one module path "
            "(go's `path ... appears multiple times in workspace`, `module ... appears "
            "multiple times in workspace`).",
            "Remove the repeated `use` line.",
        ),
        CodeInfo(
            "work-mod-flag",
            Severity.ERROR,
            "GOFLAGS sets `-mod=mod` (or another mode) in workspace mode, where go takes "
            "only `readonly` and `vendor` (go's words).",
            "Remove the -mod flag, or set GOWORK=off.",
        ),
        CodeInfo(
            "work-replace-conflict",
            Severity.ERROR,
            "Two workspace modules replace one module version differently (go's "
            "`conflicting replacements for ...`), on the second replace line.",
            "`go work edit -replace M@V=...` (a go.work replace overrides both).",
        ),
        CodeInfo(
            "work-module-outside",
            Severity.ERROR,
            "The module being checked is inside a go.work's tree but not one of its `use` "
            "modules: go refuses to build there (go's words).",
            "`go work use .` in that module, or GOWORK=off.",
        ),
        CodeInfo(
            "work-empty",
            Severity.ERROR,
            "go.work has no `use` line: go finds no modules in the workspace.",
            "Add `use` lines (`go work use DIR`).",
        ),
        CodeInfo(
            "work-go-too-old",
            Severity.ERROR,
            "A module listed in go.work needs a newer go (1.21 or later) than go.work's `go` "
            "line (1.18 when it has none), on the `use` line, in go's words.",
            "`go work use` (raises go.work's `go` line).",
        ),
        CodeInfo(
            "godebug-invalid",
            Severity.ERROR,
            "A `godebug` line that the building toolchain rejects: an unknown key, a removed "
            "setting set to its old value, a malformed `default=` (go's `unknown godebug`, "
            "`removed GODEBUG`). Checked in go.work in workspace mode, in go.mod otherwise.",
            "Remove or correct the `godebug` line.",
        ),
        CodeInfo(
            "go-version",
            Severity.ERROR,
            "A `go` line needs a newer Go than the local toolchain: the workspace's own "
            "(information when GOTOOLCHAIN lets the go command switch toolchains) or a "
            "needed module's cached `.mod` (go never switches for a dependency).",
            "Upgrade Go, or allow GOTOOLCHAIN to switch.",
        ),
        # --- network checks (gomod_doctor.network; never with --offline) ----------------
        CodeInfo(
            "proxy-unreachable",
            Severity.ERROR,
            "A GOPROXY entry cannot be reached: connection refused, DNS failure, TLS "
            "failure, timeout or hang, connection closed. An error on each `require` whose "
            "download will fail; the message starts with go's error, which names the full "
            "URL, then says what go will do: stop after `,`, go on "
            "after `|`, wait forever on a proxy that never answers. A warning on the "
            "`module` line when nothing needs fetching. On a `require` line it takes the "
            "place of `cache-missing`.",
            "Fix the proxy, or separate it with `|` so that go falls back.",
        ),
        CodeInfo(
            "proxy-error",
            Severity.ERROR,
            "A GOPROXY entry answers with HTTP 5xx (or another error status), a truncated "
            "or a garbage response; placed as `proxy-unreachable`.",
            "Fix the proxy, or separate it with `|` so that go falls back.",
        ),
        CodeInfo(
            "proxy-not-found",
            Severity.ERROR,
            "Every GOPROXY entry answers 404/410 for a needed version that is not in the "
            "module cache (on its `require` line, in place of `cache-missing`), in go's "
            "words (`reading <full URL>: 404 Not Found`). When a proxy knows the module "
            "path (its `@v/list` or `@latest`), the version is wrong: the message names "
            "the versions it knows.",
            "Check the version; for a private module, set GOPRIVATE.",
        ),
        CodeInfo(
            "proxy-config",
            Severity.ERROR,
            "An invalid GOPROXY entry (go's own words, on the `module` line), or a needed "
            "version missing from the module cache that GOPROXY=off or an invalid GOPROXY "
            "keeps go from downloading (on its `require` line, in place of `cache-missing`).",
            "Fix GOPROXY (`go env -w GOPROXY=...`).",
        ),
        CodeInfo(
            "sumdb-unreachable",
            Severity.WARNING,
            "The checksum database cannot be reached (or answers with an error, or GOSUMDB "
            "is unusable), on the `module` line: says which needed go.sum lines go cannot "
            "add, and whether go would hang.",
            "Fix the network or GOSUMDB; GOPRIVATE/GONOSUMDB for private modules.",
        ),
        CodeInfo(
            "sumdb-mismatch",
            Severity.ERROR,
            "A go.sum line or the module cache differs from the verified checksum database "
            "record, on the `require` and the go.sum line. Triage: go.sum is wrong, the "
            "cache is wrong, both are, or go.sum and the cache agree against the database "
            "(go's SECURITY ERROR, in its words). Online, also the go.mod the GOPROXY serves "
            "for a module neither has (fetched for the module graph), against the database "
            "(go's SECURITY ERROR when it loads the graph).",
            "Replace the go.sum line with the database's value (go.sum wrong); `redownload` "
            "(cache wrong); compare the proxies' copies (both agree, or the download differs).",
        ),
        CodeInfo(
            "sumdb-untrusted",
            Severity.ERROR,
            "The checksum database's answer fails verification: a bad signature or unknown "
            "key, an inconsistent tile or inclusion proof, a forked log, a record without a "
            "well-formed `h1:` hash (go's words). go "
            "refuses it, so the download fails: on each `require` whose go.sum lines are "
            "missing (in place of `cache-missing`), else on the `module` line.",
            "",
        ),
        CodeInfo(
            "sumdb-required",
            Severity.ERROR,
            "A toolchain switch (`go`/`toolchain` line, or GOTOOLCHAIN) under GOSUMDB=off: "
            "go always verifies a golang.org/toolchain download against the checksum "
            "database, so the download fails (go's words: `checksum database disabled by "
            "GOSUMDB=off`), on the line that asks for the toolchain.",
            "Turn the checksum database back on (`go env -u GOSUMDB`), or install that "
            "toolchain on PATH.",
        ),
        CodeInfo(
            "proxy-tampered",
            Severity.ERROR,
            "A proxy's copy of a module version (`.mod` or `.zip`) differs from go.sum and "
            "the checksum database (`gomod-doctor compare-proxies M@V`); names the proxy.",
            "Stop using that proxy and report it; `redownload` from a good one.",
        ),
        CodeInfo(
            "version-retracted",
            Severity.WARNING,
            "A selected version that the latest go.mod of its module retracts (go's "
            "`retracted by module author: <rationale>`), from the proxies online or the "
            "module cache, as `go list -m -u` reads it, on the require line (or the one it "
            "comes through).",
            "`go get M@latest` (go's advice: the latest unretracted version).",
        ),
        CodeInfo(
            "module-deprecated",
            Severity.INFORMATION,
            "A directly required module whose latest go.mod says `// Deprecated:` (go's "
            "`module M is deprecated: <message>`), from the proxies online or the module "
            "cache.",
            "Move to what the message names.",
        ),
        CodeInfo(
            "insecure-setting",
            Severity.INFORMATION,
            "GOSUMDB=off, GOINSECURE, GONOSUMCHECK, a very broad GONOSUMDB pattern, or "
            "`-insecure` in GOFLAGS, on the `module` line, with the protection it turns off.",
            "",
        ),
        CodeInfo(
            "private-path-exposed",
            Severity.WARNING,
            "A needed module path no proxy knows any version of (the version, `@v/list` "
            'and `@latest` answer "not found"), nor the checksum database, not covered by '
            "GOPRIVATE/GONOSUMDB: its path goes to public services on every lookup. "
            "Never for an unknown version of a path a proxy knows (`proxy-not-found`).",
            "`go env -w GOPRIVATE=<prefix>` (after confirmation).",
        ),
    )
}


@dataclass(frozen=True)
class RelatedInfo:
    path: str
    range: Range
    message: str


@dataclass(frozen=True)
class Finding:
    path: str
    range: Range
    code: str
    severity: Severity
    message: str
    module: str | None = None
    version: str | None = None
    fixes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    related: tuple[RelatedInfo, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.range.start.line, self.range.start.col, self.code)
