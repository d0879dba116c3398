from accounts import rules
from accounts.models import Company


def company_notice(request):
    """Why the signed-in member's company cannot trade right now (shown on every page), or None."""
    user = getattr(request, "user", None)
    membership = getattr(user, "membership", None) if user is not None and user.is_authenticated else None
    if membership is None or not membership.is_active or membership.company.status == Company.Status.VERIFIED:
        return {"company_notice": None}
    return {"company_notice": rules.refusal_reason(membership.company)}
