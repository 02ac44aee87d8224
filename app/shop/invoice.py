"""An order's invoice as a PDF (fpdf2: pure Python, no system libraries)."""

from __future__ import annotations

from fpdf import FPDF

from app.shop.models import Order


def render_invoice(order: Order) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, f"Invoice - order #{order.pk}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, f"Seller: {order.team.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"Buyer: {order.user.username} <{order.user.email}>", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"Date: {order.created_at:%Y-%m-%d %H:%M} UTC", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    for text, width in (("Product", 90), ("Qty", 20), ("Unit price", 35), ("Total", 35)):
        pdf.cell(width, 8, text, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 11)
    for item in order.items.all():
        pdf.cell(90, 8, item.product.name[:45], border=1)
        pdf.cell(20, 8, str(item.quantity), border=1, align="R")
        pdf.cell(35, 8, f"{item.unit_price:.2f}", border=1, align="R")
        pdf.cell(35, 8, f"{item.line_total:.2f}", border=1, align="R")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(145, 9, "Total", border=1)
    pdf.cell(35, 9, f"{order.total:.2f}", border=1, align="R")
    return bytes(pdf.output())
