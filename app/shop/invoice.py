"""An order's invoice as a PDF (fpdf2: pure Python, no system libraries).

The text is set in DejaVu Sans, shipped in ``app/shop/fonts`` (its licence beside it) and
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

from fpdf import FPDF, FontFace

from app.shop.models import Order
from app.shop.money import CURRENCY_CODE, format_count, format_money
from app.teams.models import Membership

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


def _seller_contacts(order: Order) -> list[str]:
    owners = Membership.objects.filter(team=order.team, role=Membership.Role.OWNER).select_related("user")
    return sorted({m.user.email for m in owners if m.user.email})


def _heading(pdf: FPDF, order: Order) -> None:
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 10, "Invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    placed = f"{order.created_at.day} {order.created_at:%B %Y, %H:%M} UTC"
    details = f"Order #{order.pk}, placed {placed} · amounts in {CURRENCY_CODE}"
    pdf.multi_cell(0, 5, details, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(6)


def _parties(pdf: FPDF, order: Order) -> None:
    """The seller (the team, its description and who to write to) beside the buyer."""
    half = (pdf.epw - 8) / 2
    top = pdf.get_y()
    seller = [order.team.name]
    if order.team.description:
        seller.append(order.team.description)
    seller += [f"Contact: {email}" for email in _seller_contacts(order)]
    buyer = [order.user.get_full_name() or order.user.username, order.user.email]
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


def _items(pdf: FPDF, order: Order) -> None:
    rows = [
        (item.product.name, format_count(item.quantity), format_money(item.unit_price), format_money(item.line_total))
        for item in order.lines
    ]
    total = format_money(order.total)
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


def _footer(pdf: FPDF, order: Order) -> None:
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    thanks = f"Thank you for your order from {order.team.name}."
    pdf.multi_cell(0, 5, thanks, align="L", new_x="LMARGIN", new_y="NEXT")


def render_invoice(order: Order) -> bytes:
    pdf = _pdf()
    pdf.set_title(f"Invoice for order #{order.pk}")
    pdf.set_author(order.team.name)
    pdf.add_page()
    _heading(pdf, order)
    _parties(pdf, order)
    _items(pdf, order)
    _footer(pdf, order)
    return bytes(pdf.output())
