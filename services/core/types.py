"""Reusable annotated field types for request schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from services.core.privacy import nfc

# Vietnamese text is stored NFC-normalised whatever form the client sent (api.md conventions).
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(nfc)
]
OptionalName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(nfc)
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(nfc),
]
