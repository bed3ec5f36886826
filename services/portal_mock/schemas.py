"""Request and response shapes of the mock portal, in the portal's own field names.

The data endpoints answer HTTP 200 with ``error_code`` for every bad input, as the portal does,
so their bodies are validated here (``check_*``) rather than by FastAPI; the models still
describe the bodies in the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import ErrorDetails, PydanticCustomError

SYNC_SERVICE = "DongBoHoSoMC"
MAX_SYNC_RECORDS = 1000

# Portal error codes, per record and per request.
OK = 0
INVALID = 1
ALREADY_EXISTS = 2
NOT_FOUND = 3


def _portal_date(value: str) -> str:
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        raise PydanticCustomError("portal_date", "phải có dạng yyyyMMddHHmmss")
    try:
        datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
        )
    except ValueError as exc:
        raise PydanticCustomError("portal_date", "không phải ngày giờ có thật") from exc
    return value


PortalDate = Annotated[str, Field(strict=True), AfterValidator(_portal_date)]
Required = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=100)]
RequiredText = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1000)]
Key = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]

RECORD_EXAMPLE: dict[str, Any] = {
    "MaHoSo": "000.00.31.H56-261123-0001",
    "MaTTHC": "1.001193",
    "TenTTHC": "Thủ tục đăng ký khai sinh",
    "MaLinhVuc": "ho-tich",
    "TenLinhVuc": "Hộ tịch",
    "KenhThucHien": 1,
    "ChuHoSo": "Nguyễn Văn An",
    "LoaiDoiTuong": 1,
    "TrichYeuHoSo": "Đăng ký khai sinh cho con",
    "NgayTiepNhan": "20261123083000",
    "NgayHenTra": "20261123163000",
    "TrangThaiHoSo": 2,
    "DuocThanhToanTrucTuyen": 3,
    "IdempotencyKey": "000.00.31.H56-261123-0001:2:1",
}


class DossierRecord(BaseModel):
    """One dossier record of ``DongBoHoSoMC`` (domain.md §8). Fields not listed are accepted
    and stored as given; only the ones below are checked."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [RECORD_EXAMPLE]})

    MaHoSo: Required = Field(description="dossier code")
    MaTTHC: Required = Field(description="procedure code")
    TenTTHC: RequiredText = Field(description="procedure name")
    KenhThucHien: int = Field(
        strict=True, ge=1, le=3, description="1 in person, 2 online, 3 public postal service"
    )
    ChuHoSo: RequiredText = Field(description="applicant name")
    NgayTiepNhan: PortalDate = Field(description="received, `yyyyMMddHHmmss`")
    NgayHenTra: PortalDate = Field(description="due, `yyyyMMddHHmmss`")
    TrangThaiHoSo: int = Field(strict=True, ge=1, le=10, description="status code 1–10")
    NgayNopHoSo: PortalDate | None = Field(default=None, description="filed")
    NgayKetThucXuLy: PortalDate | None = Field(default=None, description="finished")
    NgayTra: PortalDate | None = Field(default=None, description="returned")
    NgayTuChoi: PortalDate | None = Field(default=None, description="refused")
    IdempotencyKey: Key = Field(
        description="Extension of this project (the real portal has none): a record whose key "
        "was already accepted is answered as a success with `duplicate: true` and not stored "
        "again."
    )


class SyncRequest(BaseModel):
    """Body of ``POST /api/dossiers/sync``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"service": SYNC_SERVICE, "isUpdating": False, "data": [RECORD_EXAMPLE]}]
        }
    )

    service: Literal["DongBoHoSoMC"]
    isUpdating: bool = Field(
        strict=True, description="false: create the dossiers; true: update existing ones"
    )
    data: list[dict[str, Any]] = Field(
        max_length=MAX_SYNC_RECORDS,
        description=f"Up to {MAX_SYNC_RECORDS} records; see `DossierRecord`.",
    )


class RecordResult(BaseModel):
    MaHoSo: str | None
    IdempotencyKey: str | None
    error_code: int = Field(
        description="0 accepted, 1 invalid record, 2 already exists, 3 does not exist"
    )
    message: str
    duplicate: bool = Field(description="the key was accepted before; nothing was stored")


class SyncResponse(BaseModel):
    error_code: int = Field(description="0 when every record was accepted, otherwise 1")
    message: str
    results: list[RecordResult] = Field(description="one per input record, in input order")


class SummaryRequest(BaseModel):
    """Body of ``POST /api/summaries``: any fields beyond these are stored as given."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "IdempotencyKey": "summary:000.00.31.H56:2026-11-23T08",
                    "MaDonVi": "000.00.31.H56",
                    "KyBaoCao": {"TuNgay": "20261101000000", "DenNgay": "20261123080000"},
                    "SoLuongTheoTrangThai": {"2": 14, "4": 9, "9": 31},
                }
            ]
        },
    )

    IdempotencyKey: Key
    MaDonVi: Required = Field(description="agency code")


class SummaryResponse(BaseModel):
    error_code: int
    message: str
    IdempotencyKey: str | None = None
    duplicate: bool = False


class TokenRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "motcua", "password": "motcua-portal"}]}
    )

    username: Annotated[str, StringConstraints(strict=True, max_length=128)]
    password: Annotated[str, StringConstraints(strict=True, max_length=256)]


class TokenResponse(BaseModel):
    session: str | None = Field(default=None, description="opaque; send as `Bearer` token")
    error_code: int
    expires_in: int | None = Field(default=None, description="seconds")
    message: str | None = None


class PortalErrorBody(BaseModel):
    """How the portal answers 401, injected faults and failed admin actions."""

    error_code: int
    message: str


class ReceivedItem(BaseModel):
    id: int
    kind: Literal["dossier", "summary"]
    code: str = Field(description="MaHoSo of a dossier, MaDonVi of a summary")
    status: int | None = Field(description="TrangThaiHoSo of a dossier")
    is_updating: bool | None
    idempotency_key: str
    payload: dict[str, Any] = Field(description="the record exactly as received")
    received_at: datetime


class ReceivedPage(BaseModel):
    items: list[ReceivedItem]
    total: int


class FaultsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"fail_rate": 0.5, "latency_ms": 200, "status": 503}]},
    )

    fail_rate: float = Field(ge=0, le=1, description="probability that a data request fails")
    latency_ms: int = Field(default=0, ge=0, le=120_000, description="delay before answering")
    status: int = Field(default=503, ge=400, le=599, description="HTTP status of a failure")


class FaultsOut(BaseModel):
    active: bool
    fail_rate: float
    latency_ms: int
    status: int


class ApplicantIn(BaseModel):
    """Passed to the backend as given: the backend decides what is valid."""

    full_name: str = Field(min_length=1, max_length=255)
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    kind: Literal["citizen", "business", "organization"] | None = None


MsgId = Annotated[str, StringConstraints(pattern=r"^msg_[A-Za-z0-9_-]{1,100}$")]


class OnlineDossierIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "procedure_code": "1.001193",
                    "receiving_agency_code": "000.00.31.H56",
                    "applicant": {
                        "full_name": "Trần Thị Bình",
                        "id_number": "001199012345",
                        "phone": "0912345678",
                        "kind": "citizen",
                    },
                    "summary": "Đăng ký khai sinh cho con",
                }
            ]
        },
    )

    procedure_code: str = Field(min_length=1, max_length=100)
    receiving_agency_code: str = Field(min_length=1, max_length=100)
    applicant: ApplicantIn
    summary: str | None = Field(default=None, max_length=4000)
    msg_id: MsgId | None = Field(
        default=None, description="reuse an earlier `msg_id` to replay an event (demo)"
    )


class PaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"dossier_code": "000.00.31.H56-261123-0001", "amount_vnd": 50000}]
        },
    )

    dossier_code: str = Field(min_length=1, max_length=100)
    amount_vnd: int = Field(ge=0, le=10_000_000_000)
    msg_id: MsgId | None = Field(
        default=None, description="reuse an earlier `msg_id` to replay an event (demo)"
    )


class DeliveryOut(BaseModel):
    msg_id: str
    portal_ref: str
    event: dict[str, Any] = Field(description="the signed body that was sent")
    backend_status: int = Field(description="HTTP status the backend answered")
    backend_body: Any = Field(description="the backend's answer (JSON, or text)")


def _reason(err: ErrorDetails) -> str:
    if err["type"] in {"missing", "string_too_short"} or err["input"] is None:
        return "bắt buộc, không được để trống"
    if err["type"] == "string_too_long":
        return f"dài quá {err.get('ctx', {}).get('max_length')} ký tự"
    if err["type"] == "portal_date":
        return f"{err['msg']} (ví dụ 20261123083000)"
    field = str(err["loc"][0]) if err["loc"] else ""
    if field == "KenhThucHien":
        return "phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính)"
    if field == "TrangThaiHoSo":
        return "phải là số nguyên từ 1 đến 10"
    if err["type"] == "string_type":
        return "phải là chuỗi ký tự"
    return str(err["msg"])


def describe(exc: ValidationError) -> str:
    """A Vietnamese message that names every invalid field."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{field}: {_reason(err)}")
    return "Dữ liệu không hợp lệ — " + "; ".join(parts)
