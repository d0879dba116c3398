"""Order writes. The orders issue adds checkout, payment, shipping, refunds and invoices here."""


def company_snapshot(company):
    """The company's details as an order keeps them: later changes don't rewrite past orders."""
    return {
        "name": company.name,
        "unified_social_credit_code": company.unified_social_credit_code,
        "province": company.province.name if company.province else "",
        "city": company.city.name if company.city else "",
        "legal_representative": company.legal_representative,
        "contact_name": company.contact_name,
        "contact_phone": company.contact_phone,
    }
