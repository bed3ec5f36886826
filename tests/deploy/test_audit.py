"""The dependency audit's verdict on pip-audit's JSON (deploy/local/audit.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    path = Path(__file__).parents[2] / "deploy" / "local" / "audit.py"
    spec = importlib.util.spec_from_file_location("motcua_audit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(*deps: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


CLEAN = {"name": "fastapi", "version": "0.115.0", "vulns": []}
SKIPPED = {"name": "motcua-private", "version": "1.0", "skip_reason": "not on PyPI"}


def test_a_known_vulnerability_fails(audit: ModuleType) -> None:
    bad = {
        "name": "jinja2",
        "version": "3.1.2",
        "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
    }
    code, lines = audit.verdict(1, _report(CLEAN, bad), "")
    assert code == 1
    assert "audit: jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in lines


def test_a_clean_audit_passes_and_counts(audit: ModuleType) -> None:
    code, lines = audit.verdict(0, _report(CLEAN, {**CLEAN, "name": "httpx"}), "")
    assert code == 0
    assert lines == ["audit: 2 of 2 installed packages checked for known vulnerabilities"]


def test_a_partial_audit_is_not_clean(audit: ModuleType) -> None:
    code, lines = audit.verdict(0, _report(CLEAN, SKIPPED), "")
    assert code == 2
    assert lines[0] == "audit: 1 of 2 installed packages checked for known vulnerabilities"


def test_no_audit_is_not_reported_as_clean(audit: ModuleType) -> None:
    assert audit.verdict(0, _report(SKIPPED), "")[0] == 2
    code, lines = audit.verdict(1, "", "ConnectionError: pypi.org unreachable")
    assert code == 2 and "pypi.org unreachable" in lines[0]
