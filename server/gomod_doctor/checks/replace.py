"""Directory replacements: missing targets, targets that declare another module, and
replacements that the build never uses."""

from __future__ import annotations

from gomod_doctor.checks.imports import wanted_by_import
from gomod_doctor.checks.locate import short_path
from gomod_doctor.facts import Facts
from gomod_doctor.findings import Finding, Severity
from gomod_doctor.workspace.needs import ReplaceSite


def _finding(site: ReplaceSite, code: str, sev: Severity, message: str, **data: object) -> Finding:
    stmt = site.stmt
    target = site.target_dir
    return Finding(
        str(site.file),
        stmt.syntax.range,
        code,
        sev,
        message,
        module=stmt.old_path,
        version=stmt.old_version or None,
        data={
            "module": stmt.old_path,
            "version": stmt.old_version,
            "newPath": stmt.new_path,
            "newVersion": stmt.new_version,
            "dir": str(target) if target is not None else None,
            **data,
        },
    )


def check(facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    work_paths = {s.stmt.old_path for s in facts.needs.replaces if s.in_work}
    for site in facts.needs.replaces:
        stmt = site.stmt
        if not site.used_by:
            what = stmt.old_path + (f"@{stmt.old_version}" if stmt.old_version else "")
            if not site.in_work and stmt.old_path in work_paths:
                # modload makeMainModules: go.work's replacements of a path set aside
                # every workspace module's own for that path.
                message = f"{what}: overridden by go.work's replace"
                out.append(_finding(site, "replace-unused", Severity.HINT, message))
            elif not wanted_by_import(facts, site):
                # (an import wanting it is import-missing, in go's words, at the import)
                message = f"{what} is not in the build: this replace has no effect"
                out.append(_finding(site, "replace-unused", Severity.HINT, message))
            continue
        target = site.target_dir
        if target is None:
            continue
        info = facts.dirs.get(target)
        if info is None:
            continue
        # go's words name the required module version, e.g. example.com/m@v1.0.0.
        used_path, used_version = site.used_by[0]
        required = f"{used_path}@{used_version}"
        if not info.exists:
            # go build: modload's "replacement directory ... does not exist"
            message = f"{required}: replacement directory {stmt.new_path} does not exist"
            out.append(_finding(site, "replace-missing", Severity.ERROR, message, reason="no-dir"))
        elif not info.has_gomod:
            # go build and go list -m: reading the replacement's go.mod fails. Paths as
            # go prints them when run in the directory of the file holding the replace.
            gomod = target / "go.mod"
            error = info.gomod.error if info.gomod is not None else None
            if not error:
                error = (
                    f"open {gomod}: no such file or directory "
                    "(the directory exists, but has no go.mod file)"
                )
            message = (
                f"{required} (replaced by {stmt.new_path}): reading "
                f"{short_path(gomod, site.file.parent)}: {error}"
            )
            out.append(
                _finding(site, "replace-missing", Severity.ERROR, message, reason="no-go-mod")
            )
        elif info.module_path is not None and info.module_path != stmt.old_path:
            out.append(
                _finding(
                    site,
                    "replace-path-mismatch",
                    Severity.WARNING,
                    f"replacement directory {stmt.new_path} declares module "
                    f"{info.module_path}, not {stmt.old_path}: the go command accepts "
                    "this, but it is usually the wrong checkout",
                    declared=info.module_path,
                )
            )
    return out
