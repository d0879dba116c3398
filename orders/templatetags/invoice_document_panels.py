"""What the invoice and documents panels of the order page show, for the side looking at it.

The order pages include `orders/includes/invoice_panel.html` and `documents_panel.html` with
`order`, `side` and `membership`; these tags ask `orders.invoices` and `orders.documents` what that
side may see and do now.
"""

from django import template

from orders import documents, invoices

register = template.Library()


@register.simple_tag
def invoice_panel(order, side, membership=None):
    from orders.invoice_views import InvoiceRequestForm

    buyer = side == "buyer" and membership is not None and membership.company_id == order.buyer_id
    handles = buyer and invoices.member_may_handle_invoices(membership)
    refusal = invoices.invoice_refusal(order)
    may_request = handles and not refusal
    return {
        "invoices": list(invoices.invoices_of(order)),
        "current": invoices.open_invoice(order),
        "invoiceable": invoices.invoiceable_amount(order),
        "may_request": may_request,
        "form": InvoiceRequestForm.for_order(order) if may_request else None,
        # Why not, to a buyer who could act, once the order is paid (before that it is obvious).
        "refusal": refusal if handles and order.status in invoices.INVOICEABLE_STATUSES else "",
        "file_url_name": {"buyer": "member-orders:invoice-file", "seller": "merchant-orders:invoice-file",
                          "staff": "backoffice-orders:invoice-file"}.get(side, ""),
    }


@register.simple_tag
def documents_panel(order, side):
    url_name = {"buyer": "member-orders:document", "seller": "merchant-orders:document",
                "staff": "backoffice-orders:document"}.get(side, "")
    return {
        "available": documents.available_documents(order) if url_name else [],
        "pending": [(kind, title, documents.document_refusal(order, kind))
                    for kind, title in documents.DOCUMENT_TITLES.items()
                    if not documents.document_available(order, kind)],
        "url_name": url_name,
    }
