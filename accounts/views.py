"""Member centre (会员中心) pages. Thin: forms in, one service call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.forms import ApiKeyForm
from core import apikeys
from core.errors import BusinessRuleError


@login_required
def member_home(request):
    membership = selectors.membership_of(request.user)
    return render(request, "member/home.html", {
        "membership": membership,
        "company": membership.company if membership else None,
        "members": selectors.members_of(membership.company) if membership and membership.is_main else [],
    })


@login_required
def api_keys(request):
    company = selectors.company_of(request.user)
    if company is None:
        messages.info(request, _("API 密钥属于企业。请先完成企业认证。"))
        return redirect("member:home")
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _key, new_key = apikeys.issue_api_key(
                company=company, created_by=request.user, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except BusinessRuleError as error:
            form.add_error(None, error.message)
        else:
            form = ApiKeyForm()
    return render(request, "member/api_keys.html", {
        "form": form, "new_key": new_key, "keys": selectors.api_keys_of(company),
    })


@require_POST
@login_required
def api_key_revoke(request, key_id):
    company = selectors.company_of(request.user)
    key = get_object_or_404(selectors.api_keys_of(company), pk=key_id) if company else None
    if key is None:
        return redirect("member:home")
    apikeys.revoke_api_key(key=key, by=request.user, reason=_("企业自行吊销"))
    messages.success(request, _("API 密钥“%(name)s”已吊销。") % {"name": key.name})
    return redirect("member:api-keys")
