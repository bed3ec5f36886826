from __future__ import annotations

import httpx

from services.portal_mock.main import create_portal_app


async def test_portal_mock_starts_and_serves_openapi() -> None:
    transport = httpx.ASGITransport(app=create_portal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        doc = (await client.get("/openapi.json")).json()
        assert doc["info"]["title"].startswith("Mock")


async def test_every_operation_is_documented_and_every_ref_resolves() -> None:
    doc = create_portal_app().openapi()
    seen: set[str] = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("operationId") and op["operationId"] not in seen, where
            seen.add(op["operationId"])
            assert op.get("summary") and op.get("description") and op.get("tags"), where
    schemas = doc["components"]["schemas"]
    for name in ("TokenRequest", "SyncRequest", "DossierRecord", "SummaryRequest"):
        assert schemas[name].get("examples"), name

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    sync = doc["paths"]["/api/dossiers/sync"]["post"]
    assert sync["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SyncRequest"
    }
    assert {"PortalSession"} <= set(doc["components"]["securitySchemes"])
