"""Imports every domain's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from services.apologies import models as apology_models
from services.calendar import models as calendar_models
from services.core import idempotency
from services.core.models import Base
from services.dossiers import models as dossier_models
from services.feedback import models as feedback_models
from services.identity import models as identity_models
from services.outbox import models as outbox_models
from services.portal import models as portal_models
from services.portal_mock import models as portal_mock_models
from services.procedures import models as procedure_models
from services.processes import models as process_models
from services.ratings import models as rating_models
from services.reports import models as report_models
from services.webhooks import models as webhook_models

__all__ = [
    "Base",
    "apology_models",
    "calendar_models",
    "dossier_models",
    "feedback_models",
    "idempotency",
    "identity_models",
    "outbox_models",
    "portal_mock_models",
    "portal_models",
    "procedure_models",
    "process_models",
    "rating_models",
    "report_models",
    "webhook_models",
]
