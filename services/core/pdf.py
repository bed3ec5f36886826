"""Render simple Vietnamese administrative documents to PDF.

Covers the plain one-page-ish forms used at a commune one-stop shop, e.g. the receipt
"Giấy tiếp nhận hồ sơ và hẹn trả kết quả" (Mẫu 01), the apology letter (Mẫu 04) and the
dossier control sheet (Mẫu 05). The layout follows the usual official-letter structure:

* two-column header: issuing agency (left) / national motto (right),
* document number (left) / place and date (right),
* centered bold title and optional subtitle,
* label/value fields, body paragraphs, an optional bordered table,
* signature block in the right column, then small footer lines ("Nơi nhận: ...").

Rendering is a pure function of the input: DejaVu Sans is embedded (bundled in ``fonts/``
next to this module, Bitstream Vera licence) and the document metadata is fixed, so the same
``Document`` always yields the same bytes for a given fpdf2 version.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

__all__ = ["Document", "render_pdf"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVuSans"
_REGULAR_FONT = FONTS_DIR / "DejaVuSans.ttf"
_BOLD_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"
# Optional: used for the place/date line if someone drops it into fonts/, else regular.
_ITALIC_FONT = FONTS_DIR / "DejaVuSans-Oblique.ttf"

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SUBLINE = "Độc lập - Tự do - Hạnh phúc"

# Fixed metadata so output is byte-for-byte reproducible.
_FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_PRODUCER = "motcua"

# Page geometry (mm). Margins roughly follow Nghị định 30/2020/NĐ-CP
# (top/bottom 20-25, left 30-35, right 15-20).
_MARGIN_LEFT = 30.0
_MARGIN_RIGHT = 15.0
_MARGIN_TOP = 20.0
_MARGIN_BOTTOM = 20.0
_LEFT_COL_RATIO = 0.42  # share of the usable width taken by the agency / number column

# Font sizes (pt) and line heights (mm). DejaVu Sans is wider than Times New Roman, so the
# sizes are a notch below the 13-14pt used in printed letters.
_HEADER_SIZE = 10.0
_BODY_SIZE = 11.0
_TITLE_SIZE = 12.5
_SMALL_SIZE = 9.0
_TABLE_SIZE = 9.5
_LINE_H = 6.0
_HEADER_LINE_H = 5.0
_SMALL_LINE_H = 4.5
_TABLE_LINE_H = 5.0


@dataclass(frozen=True)
class Document:
    """Content of one administrative document. All strings are NFC-normalised on render."""

    agency_lines: Sequence[str]
    """Left header, e.g. ["UBND XÃ VĨNH BẢO", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"].
    The last line is bold and underlined with a short rule."""
    number_line: str | None
    """E.g. "Số: H56.01-261122-0001/TNHS"; shown under the agency lines."""
    place_date_line: str | None
    """E.g. "Vĩnh Bảo, ngày 22 tháng 11 năm 2026"; shown under the motto."""
    title: str
    """Bold, centered; uppercased when rendered."""
    subtitle: str | None
    """E.g. "V/v xin lỗi và hẹn lại ngày trả kết quả"; centered under the title."""
    paragraphs: Sequence[str]
    """Body text; each item is one justified, wrapped paragraph ("\\n" forces a break)."""
    fields: Sequence[tuple[str, str]] = ()
    """Label/value rows, rendered "label: value" (label bold)."""
    table: tuple[Sequence[str], Sequence[Sequence[str]]] | None = None
    """Optional (header, rows) rendered as a bordered table with wrapped cells.
    Short rows are padded with empty cells; an empty header means no heading row."""
    signature: Sequence[str] = ()
    """Block in the right column, e.g. ["NGƯỜI TIẾP NHẬN", "(Ký, ghi rõ họ tên)", "", "Tên"].
    First and last non-empty lines are bold; empty strings leave room for the signature."""
    footer_lines: Sequence[str] = ()
    """Small text after the signature, e.g. "Nơi nhận: ..."."""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _LetterPDF(FPDF):
    """A4 portrait page; page numbers from page 2 on, top center (as in official letters)."""

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT_FAMILY, "", _SMALL_SIZE)
            self.set_y(_MARGIN_TOP - 10)
            self.cell(0, _SMALL_LINE_H, str(self.page_no()), align="C")
            self.set_y(_MARGIN_TOP)


def _new_pdf(title: str) -> tuple[_LetterPDF, bool]:
    pdf = _LetterPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN_BOTTOM)
    pdf.add_font(FONT_FAMILY, "", str(_REGULAR_FONT))
    pdf.add_font(FONT_FAMILY, "B", str(_BOLD_FONT))
    has_italic = _ITALIC_FONT.is_file()
    if has_italic:
        pdf.add_font(FONT_FAMILY, "I", str(_ITALIC_FONT))
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_producer(_PRODUCER)
    pdf.set_creator(_PRODUCER)
    pdf.set_title(title)
    pdf.set_lang("vi-VN")
    pdf.set_display_mode(zoom="fullwidth")
    pdf.add_page()
    return pdf, has_italic


def _centered_rule(pdf: FPDF, x: float, width: float, text_width: float, y: float) -> None:
    """Draw a short horizontal line centered in the column [x, x + width]."""
    length = min(text_width, width)
    start = x + (width - length) / 2
    pdf.set_line_width(0.3)
    pdf.line(start, y, start + length, y)


def _column_lines(
    pdf: FPDF,
    x: float,
    width: float,
    lines: Sequence[tuple[str, str]],
    size: float,
    line_h: float,
) -> float:
    """Write (style, text) lines centered in a column starting at the current y.

    Returns the y position below the block."""
    for style, text in lines:
        pdf.set_x(x)
        pdf.set_font(FONT_FAMILY, style, size)
        if text:
            pdf.multi_cell(width, line_h, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        else:
            pdf.ln(line_h)
    return pdf.get_y()


def _render_header(pdf: FPDF, doc: Document, has_italic: bool) -> None:
    usable = pdf.epw
    left_w = usable * _LEFT_COL_RATIO
    right_w = usable - left_w
    left_x = pdf.l_margin
    right_x = left_x + left_w
    top = pdf.get_y()

    # Left column: agency lines, last one bold with a short rule under it.
    agency = [_nfc(line) for line in doc.agency_lines]
    left_bottom = top
    if agency:
        rows = [("", line) for line in agency[:-1]] + [("B", agency[-1])]
        left_bottom = _column_lines(pdf, left_x, left_w, rows, _HEADER_SIZE, _HEADER_LINE_H)
        pdf.set_font(FONT_FAMILY, "B", _HEADER_SIZE)
        rule_w = min(pdf.get_string_width(agency[-1]), left_w) / 3
        _centered_rule(pdf, left_x, left_w, rule_w, left_bottom + 0.8)
        left_bottom += 2.0

    # Right column: national motto, subline bold with a rule of its own width.
    pdf.set_y(top)
    rows = [("B", MOTTO), ("B", MOTTO_SUBLINE)]
    right_bottom = _column_lines(pdf, right_x, right_w, rows, _HEADER_SIZE, _HEADER_LINE_H)
    pdf.set_font(FONT_FAMILY, "B", _HEADER_SIZE)
    _centered_rule(pdf, right_x, right_w, pdf.get_string_width(MOTTO_SUBLINE), right_bottom + 0.8)
    right_bottom += 2.0

    # Second row: number (left) / place and date (right).
    row_top = max(left_bottom, right_bottom) + 3.0
    left_bottom = right_bottom = row_top
    if doc.number_line:
        pdf.set_y(row_top)
        rows = [("", _nfc(doc.number_line))]
        left_bottom = _column_lines(pdf, left_x, left_w, rows, _HEADER_SIZE, _HEADER_LINE_H)
    if doc.place_date_line:
        pdf.set_y(row_top)
        rows = [("I" if has_italic else "", _nfc(doc.place_date_line))]
        right_bottom = _column_lines(pdf, right_x, right_w, rows, _HEADER_SIZE, _HEADER_LINE_H)
    pdf.set_xy(pdf.l_margin, max(left_bottom, right_bottom) + 6.0)


def _render_title(pdf: FPDF, doc: Document) -> None:
    title = _nfc(doc.title).upper()
    if title:
        pdf.set_font(FONT_FAMILY, "B", _TITLE_SIZE)
        pdf.multi_cell(0, 7.0, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.subtitle:
        pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
        pdf.multi_cell(
            0, _LINE_H, _nfc(doc.subtitle), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4.0)


def _render_fields(pdf: FPDF, fields: Sequence[tuple[str, str]]) -> None:
    for label, value in fields:
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FONT_FAMILY, "B", _BODY_SIZE)
        pdf.write(_LINE_H, _nfc(label) + ": ")
        pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
        pdf.write(_LINE_H, _nfc(value))
        pdf.ln(_LINE_H)
    if fields:
        pdf.ln(2.0)


def _render_paragraphs(pdf: FPDF, paragraphs: Sequence[str]) -> None:
    pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
    for paragraph in paragraphs:
        pdf.multi_cell(0, _LINE_H, _nfc(paragraph), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


# A table row must fit on one page (fpdf2 cannot split a row): a cell of free text (a note,
# a reason: up to 4,000 characters) is shortened; the full text stays in the history.
_CELL_MAX_CHARS, _CELL_MAX_LINES = 400, 20


def _fit_cell(text: str) -> str:
    lines = text.split("\n")
    if len(text) <= _CELL_MAX_CHARS and len(lines) <= _CELL_MAX_LINES:
        return text
    kept = "\n".join(lines[:_CELL_MAX_LINES])[:_CELL_MAX_CHARS].rstrip()
    return f"{kept}… [rút gọn]"


def _render_table(pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    ncols = max([len(header), *(len(row) for row in rows)])
    if ncols == 0:
        return
    head = [_nfc(cell) for cell in header]
    body = [[_fit_cell(_nfc(cell)) for cell in row] for row in rows]
    has_head = bool(head)
    grid = ([head] if has_head else []) + body
    grid = [row + [""] * (ncols - len(row)) for row in grid]
    if not grid:
        return

    # Column weights from the longest line of each column, clamped so that none is squeezed.
    weights = [
        float(max(12, min(40, max(len(line) for row in grid for line in row[i].split("\n")))))
        for i in range(ncols)
    ]
    pdf.set_font(FONT_FAMILY, "", _TABLE_SIZE)
    with pdf.table(
        col_widths=weights,
        width=pdf.epw,
        line_height=_TABLE_LINE_H,
        text_align="LEFT",
        first_row_as_headings=has_head,
        headings_style=FontFace(emphasis="BOLD"),
        padding=1.2,
    ) as table:
        for row in grid:
            table.row(row)
    pdf.set_x(pdf.l_margin)
    pdf.ln(4.0)


def _render_signature(pdf: FPDF, signature: Sequence[str]) -> None:
    lines = [_nfc(line) for line in signature]
    if not lines:
        return
    non_empty = [i for i, line in enumerate(lines) if line.strip()]
    bold = {non_empty[0], non_empty[-1]} if non_empty else set()
    block_h = len(lines) * _LINE_H + 4.0
    # Keep the block on one page when it fits on a fresh page.
    if pdf.will_page_break(block_h) and block_h < pdf.eph:
        pdf.add_page()
    pdf.ln(4.0)
    left_w = pdf.epw * _LEFT_COL_RATIO
    rows = [("B" if i in bold else "", line) for i, line in enumerate(lines)]
    _column_lines(pdf, pdf.l_margin + left_w, pdf.epw - left_w, rows, _BODY_SIZE, _LINE_H)
    pdf.set_x(pdf.l_margin)


def _render_footer(pdf: FPDF, footer_lines: Sequence[str]) -> None:
    if not footer_lines:
        return
    pdf.ln(4.0)
    pdf.set_font(FONT_FAMILY, "", _SMALL_SIZE)
    for line in footer_lines:
        text = _nfc(line)
        if text:
            pdf.multi_cell(0, _SMALL_LINE_H, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.ln(_SMALL_LINE_H)


def render_pdf(doc: Document) -> bytes:
    """Render ``doc`` to PDF bytes (A4, DejaVu Sans embedded, deterministic output)."""
    pdf, has_italic = _new_pdf(_nfc(doc.title))
    _render_header(pdf, doc, has_italic)
    _render_title(pdf, doc)
    _render_fields(pdf, doc.fields)
    _render_paragraphs(pdf, doc.paragraphs)
    if doc.table is not None:
        _render_table(pdf, *doc.table)
    _render_signature(pdf, doc.signature)
    _render_footer(pdf, doc.footer_lines)
    return bytes(pdf.output())
