"""Request and response models of the feedback API (api.md "Feedback (PAKN) and ratings")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.core.privacy import nfc
from services.core.types import LocalDateTime, Name, Text
from services.dossiers.schemas import Phone, ProcedureCode
from services.feedback.models import (
    Classification,
    DueStep,
    FeedbackChannel,
    FeedbackKind,
    FeedbackState,
)
from services.identity.schemas import AgencyCode

# The hard cap of the schema; the configured limits (feedback_content_*_chars) are checked by
# the service, so that an operator can change them without a deploy.
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(nfc),
]

KIND_DOC = "reflection (phản ánh: an opinion on a problem), recommendation (kiến nghị: with a fix)"
CHANNEL_DOC = (
    "online (trực tuyến), in_writing (văn bản), phone (điện thoại, đường dây nóng), "
    "opinion_form (phiếu lấy ý kiến)"
)
STATE_DOC = (
    "received (đã tiếp nhận), classified (đã phân loại), in_progress (đang xử lý), answered (đã "
    "có kết quả xử lý), published (đã công khai), rejected (không tiếp nhận), forwarded (đã "
    "chuyển cơ quan có thẩm quyền)"
)
CLASSIFICATION_DOC = (
    "not_accepted (không đủ điều kiện tiếp nhận: refuse within 2 working days), conduct (hành vi "
    "hành chính), regulation (quy định hành chính: handle within 15 working days), out_of_scope "
    "(không thuộc thẩm quyền: forward within 5 working days)"
)


class SubmitterIn(BaseModel):
    full_name: Name
    phone: Phone
    address: Text
    email: EmailStr | None = None


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "reflection",
                    "channel": "online",
                    "content": "Thủ tục đăng ký khai sinh yêu cầu nộp bản sao giấy tờ không có "
                    "trong quy định.",
                    "submitter": {
                        "full_name": "Nguyễn Văn An",
                        "phone": "0912345689",
                        "address": "Thôn Đông, xã Vĩnh Bảo",
                    },
                    "agency_code": "000.00.31.H56",
                    "procedure_code": "1.001193",
                }
            ]
        },
    )

    kind: FeedbackKind = Field(description=KIND_DOC)
    channel: FeedbackChannel = Field(default=FeedbackChannel.ONLINE, description=CHANNEL_DOC)
    content: LongText = Field(
        description="10–5000 characters by default (MOTCUA_FEEDBACK_CONTENT_MIN_CHARS / "
        "_MAX_CHARS); the schema's maximum is the most a deployment may allow."
    )
    submitter: SubmitterIn = Field(description="Name, phone and address are required (Decree 20).")
    agency_code: AgencyCode | None = Field(
        default=None,
        description="The agency addressed; defaults to the receiving agency of `dossier_code`. "
        "Required without a dossier.",
    )
    dossier_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    procedure_code: ProcedureCode | None = None


class FeedbackReceipt(BaseModel):
    code: str
    status: FeedbackState = Field(description=STATE_DOC)
    agency_code: str
    received_at: LocalDateTime
    due_at: LocalDateTime | None = Field(description="When it will be classified at the latest.")


class SubmitterOut(BaseModel):
    full_name: str
    phone: str
    address: str
    email: str | None


class FeedbackOut(BaseModel):
    code: str
    kind: FeedbackKind = Field(description=KIND_DOC)
    channel: FeedbackChannel = Field(description=CHANNEL_DOC)
    status: FeedbackState = Field(description=STATE_DOC)
    classification: Classification | None = Field(description=CLASSIFICATION_DOC)
    content: str
    submitter: SubmitterOut
    agency_code: str
    dossier_code: str | None
    procedure_code: str | None
    forwarded_to_agency_code: str | None
    received_at: LocalDateTime
    classified_at: LocalDateTime | None
    due_at: LocalDateTime | None
    due_step: DueStep | None = Field(description="What `due_at` is the deadline of.")
    info_request_due_at: LocalDateTime | None = Field(
        description="Deadline to ask the submitter for more information (5 working days)."
    )
    info_requested_at: LocalDateTime | None
    info_request: str | None
    info_received_at: LocalDateTime | None
    is_overdue: bool
    late: bool = Field(description="A deadline was missed at some step.")
    answer: str | None
    answered_by: str | None
    answered_at: LocalDateTime | None
    public_content: str | None
    published_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    version: int


class FeedbackHistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_state: str | None
    to_state: str
    actor: str
    actor_agency_code: str | None
    note: str | None
    data: dict[str, Any]
    at: LocalDateTime


class PublicFeedbackOut(BaseModel):
    """A published answer: no submitter, no dossier code, phones and e-mails scrubbed."""

    code: str
    kind: FeedbackKind = Field(description=KIND_DOC)
    classification: Classification | None = Field(description=CLASSIFICATION_DOC)
    agency_code: str
    procedure_code: str | None
    content: str
    answer: str
    received_at: LocalDateTime
    answered_at: LocalDateTime | None
    published_at: LocalDateTime


class ClassifyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"classification": "regulation"},
                {"classification": "out_of_scope", "forward_to_agency_code": "000.00.00.H56"},
            ]
        },
    )
    classification: Classification = Field(description=CLASSIFICATION_DOC)
    forward_to_agency_code: AgencyCode | None = Field(
        default=None, description="For out_of_scope: the competent agency, forwarded to later."
    )
    note: Text | None = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"answer": "Cơ quan đã chấn chỉnh việc yêu cầu giấy tờ ngoài quy định."}]
        },
    )
    answer: LongText


class InfoRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"question": "Đề nghị ông/bà cho biết thời gian và địa điểm cụ thể."}]
        },
    )
    question: Text = Field(description="What the submitter is asked to add (sent to them).")


class InfoReceivedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(description="The information the submitter gave, as recorded by staff.")


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_content: LongText | None = Field(
        default=None,
        description="The content as shown to the public; defaults to the submitted text with "
        "phone numbers, ID numbers and e-mail addresses masked. Whatever is given, the "
        "submitter's name, address, phone and e-mail never appear publicly.",
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Nội dung là khiếu nại, không phải PAKN"}]},
    )
    reason: Text


class ForwardIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"agency_code": "000.00.00.H56"}]}
    )
    agency_code: AgencyCode | None = Field(
        default=None, description="Defaults to the `forward_to_agency_code` of the classification."
    )
    note: Text | None = None


class ListFilters(BaseModel):
    state: FeedbackState | None = None
    classification: Classification | None = None
    overdue: bool | None = None
