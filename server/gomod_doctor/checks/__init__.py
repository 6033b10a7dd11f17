"""Checks: pure functions from a workspace snapshot to findings.

Each check module exposes ``check(snapshot) -> list[Finding]`` and is listed in
:data:`gomod_doctor.engine.CHECKS`. Checks do no I/O.
"""
