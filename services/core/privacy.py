"""Masking of personal data (Decree 13/2023) for public answers and logs."""

from __future__ import annotations

import re
import unicodedata

_DIGIT_RUN = re.compile(r"(?<!\d)(\+?\d[\d .-]{7,}\d)(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_BEARER = re.compile(r"(?i)(bearer\s+|api[-_]?key[\"':= ]+|password[\"':= ]+|whsec_)[^\s\"',}]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def mask_name(full_name: str) -> str:
    """``Nguyễn Văn An`` → ``Nguyễn V. A.``: the family name stays, the rest become initials."""
    parts = nfc(full_name).split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0][0] + "."
    return " ".join([parts[0], *(p[0] + "." for p in parts[1:])])


def mask_digits(value: str, keep: int = 2) -> str:
    """``0912345689`` → ``0xxxxxxx89``: the first digit and the last ``keep`` stay."""
    digits = re.sub(r"\D", "", value)
    if len(digits) <= keep + 1:
        return "x" * len(digits)
    return digits[0] + "x" * (len(digits) - keep - 1) + digits[-keep:]


def fold(text: str) -> str:
    """Lower-case, diacritics removed, ``đ`` → ``d``: the key of diacritic-insensitive search."""
    decomposed = unicodedata.normalize("NFD", nfc(text).lower().replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def scrub(text: str) -> str:
    """Remove phone/ID numbers, e-mail addresses and credentials from free text bound for logs."""
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    text = _EMAIL.sub(lambda m: m.group(1) + "***@" + m.group(2), text)
    return _DIGIT_RUN.sub(_mask_number, text)


def redact_known(text: str, known: tuple[str | None, ...]) -> str:
    """Replaces with ``***`` the personal data we hold about someone wherever it appears in
    free text — name, address, phone, e-mail: each value matched whole, ignoring case,
    diacritics and spacing (``Nguyen  van AN`` too) — then ``scrub``s what is left.

    What is not on record (a neighbour's name, a given name alone) stays: free text is read by
    staff before it is published; this guards what we know to be personal."""
    text = nfc(text)
    # Longest first: an address may contain a name (a street named after a person).
    for value in sorted(
        (nfc(v) for v in known if v and len(v.strip()) >= 3), key=len, reverse=True
    ):
        text = _replace_folded(text, value, "***")
    return scrub(text)


def _replace_folded(text: str, value: str, masked: str) -> str:
    """Replaces ``value`` in ``text`` comparing folded forms (``fold``), whitespace runs alike."""
    folded, starts = [], []  # the folded text, and where each folded character came from
    for i, char in enumerate(text):
        for f in fold(char):
            folded.append(f)
            starts.append(i)
    starts.append(len(text))
    words = fold(value).split()
    if not words:
        return text
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")
    out, last = [], 0
    for match in pattern.finditer("".join(folded)):
        begin, end = starts[match.start()], starts[match.end()]
        out += [text[last:begin], masked]
        last = end
    return "".join(out) + text[last:]


def _mask_number(match: re.Match[str]) -> str:
    # Phones have 10 digits and citizen IDs 12; shorter runs (addresses, ports, dates) stay.
    number = match.group(1)
    return mask_digits(number) if sum(c.isdigit() for c in number) >= 9 else number
