"""The committed OpenAPI document is the app's, and every route is documented on purpose."""

from __future__ import annotations

from pathlib import Path

from services.cli import OPENAPI_PATH, openapi_document


def test_committed_openapi_matches_app() -> None:
    committed = Path(OPENAPI_PATH).read_text(encoding="utf-8")
    assert committed == openapi_document(), "run `motcua export-openapi` and commit openapi/"


def test_every_operation_has_id_summary_description_and_tag() -> None:
    import json

    doc = json.loads(openapi_document())
    seen: set[str] = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("operationId"), where
            assert op["operationId"] not in seen, where
            seen.add(op["operationId"])
            assert op.get("summary") and op.get("description"), where
            assert op.get("tags"), where
