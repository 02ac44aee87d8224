"""An invoice as a PDF (fpdf2: pure Python, no system libraries).

The text is set in DejaVu Sans, shipped in ``fonts/`` beside this module (its licence beside it) and
embedded in each PDF: PDF's built-in fonts know only Latin-1, so a product or team named
"Łódź Café" or "Ελληνικά" would fail the job, and a reader's font substitution would make
every invoice look different. (DejaVu has no CJK glyphs: those print as gaps, with a warning
in the log, rather than failing the invoice.) Number columns are as wide as their widest figure, so
an amount always fits its cell; the product column takes what is left and wraps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace

CONTENT_TYPE = "application/pdf"
FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
#: Inside each table cell, left and right (mm): a figure never touches its border.
PADDING = 1.6
#: The product column keeps at least this much (mm); below it, the table's type gets smaller.
MIN_PRODUCT_WIDTH = 60.0
SIZES = (10, 9, 8, 7, 6)
HEADINGS = ("Product", "Qty", "Unit price", "Amount")
INK = (29, 35, 48)
MUTED = (95, 107, 122)
RULE = (227, 231, 238)


@dataclass(frozen=True)
class Columns:
    """Widths (mm) of the item table's four columns, and the type size they were measured at."""

    product: float
    quantity: float
    unit_price: float
    amount: float
    size: int

    @property
    def widths(self) -> tuple[float, float, float, float]:
        return (self.product, self.quantity, self.unit_price, self.amount)


def _pdf() -> FPDF:
    # fontTools, which embeds the glyphs an invoice uses, logs each step at INFO: dozens of lines a PDF.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_text_color(*INK)
    return pdf


def columns(pdf: FPDF, rows: Sequence[Sequence[str]], total: str) -> Columns:
    """Fit the number columns to their widest text (headings included) at the largest size
    that leaves the product column ``MIN_PRODUCT_WIDTH``; the product column takes the rest."""
    available = pdf.epw
    for size in SIZES:
        widths = []
        for index in (1, 2, 3):
            texts = [HEADINGS[index], *(row[index] for row in rows), *([total] if index == 3 else [])]
            pdf.set_font(FAMILY, "B", size)  # measured bold, the widest either text can be
            widths.append(max(pdf.get_string_width(text) for text in texts) + 2 * PADDING + 0.5)
        if available - sum(widths) >= MIN_PRODUCT_WIDTH or size == SIZES[-1]:
            quantity, unit_price, amount = widths
            return Columns(available - sum(widths), quantity, unit_price, amount, size)
    raise AssertionError("unreachable")  # pragma: no cover


def _heading(pdf: FPDF, invoice: dict[str, Any]) -> None:
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 10, "Invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    details = f"Order #{invoice['number']}, placed {invoice['placed']} · amounts in {invoice['currency']}"
    pdf.multi_cell(0, 5, details, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(6)


def _parties(pdf: FPDF, invoice: dict[str, Any]) -> None:
    """The seller (the team, its description and who to write to) beside the buyer."""
    half = (pdf.epw - 8) / 2
    top = pdf.get_y()
    seller_info, buyer_info = invoice["seller"], invoice["buyer"]
    seller = [seller_info["name"]]
    if seller_info["description"]:
        seller.append(seller_info["description"])
    seller += [f"Contact: {email}" for email in seller_info["contacts"]]
    buyer = [buyer_info["name"], buyer_info["email"]]
    bottoms = []
    for x, title, lines in ((pdf.l_margin, "From", seller), (pdf.l_margin + half + 8, "Billed to", buyer)):
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(half, 5, title.upper(), new_x="LEFT", new_y="NEXT")
        pdf.set_text_color(*INK)
        for number, line in enumerate(lines):
            pdf.set_font(FAMILY, "B" if number == 0 else "", 10)
            pdf.multi_cell(half, 5, line, align="L", new_x="LEFT", new_y="NEXT")
        bottoms.append(pdf.get_y())
    pdf.set_xy(pdf.l_margin, max(bottoms) + 8)


def _items(pdf: FPDF, invoice: dict[str, Any]) -> None:
    rows = [(line["product"], line["quantity"], line["unit_price"], line["amount"]) for line in invoice["lines"]]
    total = invoice["total"]
    cols = columns(pdf, rows, total)
    pdf.set_font(FAMILY, "", cols.size)
    pdf.set_draw_color(*RULE)
    headings = FontFace(emphasis="BOLD", color=MUTED)
    with pdf.table(
        col_widths=cols.widths,
        width=pdf.epw,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        borders_layout="HORIZONTAL_LINES",
        headings_style=headings,
        padding=(1.8, PADDING),
        line_height=cols.size * 0.5,
    ) as table:
        table.row(HEADINGS)
        for row in rows:
            table.row(row)
        last = table.row(style=FontFace(emphasis="BOLD"))
        last.cell("Total", colspan=3, align="RIGHT")
        last.cell(total, align="RIGHT")


def _footer(pdf: FPDF, invoice: dict[str, Any]) -> None:
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    thanks = f"Thank you for your order from {invoice['seller']['name']}."
    pdf.multi_cell(0, 5, thanks, align="L", new_x="LMARGIN", new_y="NEXT")


def render(invoice: dict[str, Any]) -> bytes:
    """The PDF for a contract's ``invoice`` part (``schema/media-1.json``)."""
    pdf = _pdf()
    pdf.set_title(f"Invoice for order #{invoice['number']}")
    pdf.set_author(invoice["seller"]["name"])
    pdf.add_page()
    _heading(pdf, invoice)
    _parties(pdf, invoice)
    _items(pdf, invoice)
    _footer(pdf, invoice)
    return bytes(pdf.output())
