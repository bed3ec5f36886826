"""Request and response models of the dossier API (api.md "Dossiers")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.core.types import InstantIn, LocalDateTime, Name, Text
from services.dossiers.models import ApplicantKind, Channel, DossierStatus, Outcome, PortalSync
from services.identity.schemas import AgencyCode
from services.processes.schemas import CurrentStepOut, StepOut

ProcedureCode = Annotated[str, StringConstraints(pattern=r"^\d\.\d{6}$")]
IdNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(\d{9}|\d{12}|[A-Z0-9]{6,20})$"),
    Field(description="Citizen ID (CCCD, 12 digits), old ID (9 digits), tax or business code."),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9]{8,15}$"),
    Field(examples=["0912345689"]),
]

STATUS_VI = {
    DossierStatus.SUBMITTED: "Mới nộp trực tuyến",
    DossierStatus.RECEIVED: "Đã tiếp nhận",
    DossierStatus.REFUSED: "Từ chối tiếp nhận",
    DossierStatus.IN_PROGRESS: "Đang xử lý",
    DossierStatus.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    DossierStatus.AWAITING_PAYMENT: "Chờ thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.RESOLVED: "Đã có kết quả",
    DossierStatus.RETURNED: "Đã trả kết quả",
}
STATUS_DESCRIPTION = "Status (trạng thái): " + "; ".join(
    f"`{s.value}` {label}" for s, label in STATUS_VI.items()
)


class ApplicantIn(BaseModel):
    full_name: Name
    id_number: IdNumber | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: Text | None = None
    kind: ApplicantKind = Field(
        default=ApplicantKind.CITIZEN,
        description="citizen (công dân), business (doanh nghiệp), organization (tổ chức)",
    )


class FeeIn(BaseModel):
    amount_vnd: int = Field(ge=0, le=10_000_000_000)
    paid_online: bool = False


class DossierCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "procedure_code": "1.001193",
                    "channel": "in_person",
                    "applicant": {
                        "full_name": "Nguyễn Văn An",
                        "id_number": "001099012345",
                        "phone": "0912345689",
                        "address": "Thôn Đông, xã Vĩnh Bảo",
                        "kind": "citizen",
                    },
                    "summary": "Đăng ký khai sinh cho con",
                    "digitized": True,
                }
            ]
        },
    )

    procedure_code: ProcedureCode
    channel: Channel = Field(
        description="in_person (trực tiếp) → received; online (trực tuyến) → submitted; "
        "postal (bưu chính công ích) → received"
    )
    applicant: ApplicantIn
    summary: Annotated[str, StringConstraints(max_length=1000)] | None = None
    receiving_agency_code: AgencyCode | None = Field(
        default=None, description="Defaults to the caller's agency; only admins may set another."
    )
    resolving_agency_code: AgencyCode | None = Field(
        default=None, description="The agency that decides (liên thông); defaults to receiving."
    )
    received_at: InstantIn | None = Field(
        default=None,
        description="Only for admins or API keys with scope `dossiers:import` (migrating old "
        "records); otherwise the server's clock.",
    )
    fee: FeeIn | None = None
    digitized: bool = False
    reused_data: bool = False


class ApplicantOut(BaseModel):
    full_name: str
    id_number: str | None
    phone: str | None
    email: str | None
    address: str | None
    kind: ApplicantKind


class FeeOut(BaseModel):
    amount_vnd: int | None
    paid_online: bool | None
    paid_at: LocalDateTime | None


class DossierOut(BaseModel):
    code: str
    status: DossierStatus = Field(description=STATUS_DESCRIPTION)
    procedure_code: str
    procedure_name: str
    sector_group: str
    channel: Channel
    applicant: ApplicantOut
    summary: str | None
    receiving_agency_code: str
    resolving_agency_code: str
    assignee_username: str | None
    submitted_at: LocalDateTime | None
    received_at: LocalDateTime | None
    due_at: LocalDateTime | None
    original_due_at: LocalDateTime | None
    finished_at: LocalDateTime | None
    returned_at: LocalDateTime | None
    is_overdue: bool
    supplement_count: int
    late_supplement_request: bool = Field(
        description="A supplement was requested more than 3 working days after reception."
    )
    rescheduled: bool
    digitized: bool
    electronic_result: bool
    reused_data: bool
    fee: FeeOut | None
    outcome: Outcome | None
    result_summary: str | None
    return_method: Literal["counter", "postal", "online"] | None = Field(
        default=None, description="How the result was handed over; set by `return`."
    )
    portal_sync: PortalSync
    current_step: CurrentStepOut | None = Field(
        default=None,
        description="Where the dossier is in its procedure's internal process; null without one "
        "or once the process is over.",
    )
    version: int
    lookup_token: str | None = Field(
        default=None, description="Only in the create response: printed on the receipt."
    )


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: str | None
    to_status: str
    actor: str
    actor_agency_code: str
    note: str | None
    data: dict[str, Any]
    at: LocalDateTime
    step: StepOut | None = Field(
        default=None,
        description="For `step-complete` rows: the step as completed (Mẫu 05 columns: handed "
        "over by, received by, started, deadline, completed, result before / on / after).",
    )


class PublicDossierOut(BaseModel):
    """What a citizen sees with the token of the receipt: no personal data beyond a masked name."""

    code: str
    status: DossierStatus = Field(description=STATUS_DESCRIPTION)
    status_label_vi: str
    procedure_name: str
    applicant_name: str = Field(description="Masked, e.g. `Nguyễn V. A.`")
    received_at: LocalDateTime | None
    due_at: LocalDateTime | None
    finished_at: LocalDateTime | None
    returned_at: LocalDateTime | None
    is_overdue: bool


# --- action bodies ----------------------------------------------------------------------------


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Hồ sơ không thuộc thẩm quyền giải quyết"}]},
    )
    reason: Text


class AssignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"assignee_username": "chuyenvien"}]}
    )
    assignee_username: Annotated[str, StringConstraints(max_length=64)] | None = None
    agency_code: AgencyCode | None = Field(
        default=None, description="Hand the dossier to another agency (liên thông)."
    )
    note: Text | None = None


class SupplementRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "Thiếu giấy tờ", "missing_documents": ["Giấy chứng sinh (bản chính)"]}
            ]
        },
    )
    reason: Text
    missing_documents: list[Name] = Field(min_length=1, max_length=50)


class PaymentRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_vnd": 50000}]}
    )
    amount_vnd: int = Field(ge=0, le=10_000_000_000)


class PaymentReceivedIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"paid_online": True}]}
    )
    paid_online: bool


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "approved",
                    "result_summary": "Cấp Giấy khai sinh",
                    "electronic_result": True,
                }
            ]
        },
    )
    outcome: Outcome = Field(description="approved (chấp thuận) or rejected (từ chối giải quyết)")
    result_summary: Text
    electronic_result: bool = False


class ReturnIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"method": "counter"}]}
    )
    method: Literal["counter", "postal", "online"] = Field(
        description="counter (tại quầy), postal (bưu chính), online (trực tuyến)"
    )


class ListFilters(BaseModel):
    status: DossierStatus | None = None
    overdue: bool | None = None
    procedure_code: str | None = None
    sector_group: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    q: str | None = None
