"""The public lookup builds its answer without validation: it must equal the validated one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dossiers.schemas import PublicDossierOut
from services.dossiers.service import to_public


@pytest.mark.parametrize("finished", [False, True])
def test_the_unvalidated_answer_equals_the_validated_one(finished: bool) -> None:
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    row = {
        "code": "000.00.31.H56-261122-0001",
        "status": "returned" if finished else "in_progress",
        "procedure_name": "Xác nhận tình trạng hôn nhân",
        "applicant_full_name": "Nguyễn Văn An",
        "received_at": now - timedelta(days=5),
        "due_at": now - timedelta(days=1),
        "finished_at": now if finished else None,
        "returned_at": now if finished else None,
    }
    built = to_public(row, now)
    validated = PublicDossierOut.model_validate(built.model_dump())
    assert built.model_dump_json() == validated.model_dump_json()
    answer = validated.model_dump(mode="json")
    assert answer["applicant_name"] == "Nguyễn V. A."
    assert answer["is_overdue"] is True
    assert answer["due_at"].endswith("+07:00")
    assert answer["status_label_vi"]
