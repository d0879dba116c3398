"""Inquiry pages (询价): the buyer asks from a product page and follows the thread in the member
centre; the seller's staff answer from the merchant back end. Thin: a form in, one service call,
render or redirect. Who sees which thread is decided by catalog.inquiry_selectors (and, under it,
services.inquiry_side); other people's threads are a 404.

The reply form works as a plain POST (redirect back to the thread); with htmx it posts in place
and gets the thread fragment back.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import rules
from accounts.access import refuse
from catalog import inquiry_selectors as selectors
from catalog import services
from catalog.models import Inquiry
from core.errors import BusinessRuleError, NotAllowed, NotFound
from core.permissions import CompanyPermission

PAGE_SIZE = 20
BODY_LIMIT = 2000  # the service refuses longer messages; the widget says so up front


class InquiryStartForm(forms.Form):
    """What the product page posts. Only parses: the rules (a message is required, the quantity
    positive) are the service's, so the page and the API refuse alike."""

    body = forms.CharField(label=gettext_lazy("询价内容"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_LIMIT, "required": True}))
    quantity = forms.DecimalField(label=gettext_lazy("意向数量"), required=False, max_digits=14, decimal_places=3)


class InquiryReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("回复内容"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": BODY_LIMIT, "required": True,
                                                        "placeholder": gettext_lazy("输入消息…")}))


def _apply_errors(form, error):
    """A service's refusal on the form: under the fields it names, else at the top."""
    placed = False
    for name, message in (error.details or {}).items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- buyer: start from the product page -----------------------------------------------------

@require_POST
def inquiry_start(request, product_id):
    """POST from the product page's inquiry form (fields `body`, `quantity`)."""
    product_url = reverse("storefront:product", args=[product_id])
    if not request.user.is_authenticated:
        # Back to the product after signing in: this URL takes POSTs only.
        return redirect_to_login(product_url)
    form = InquiryStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(_("%(field)s：%(error)s") % {"field": form.fields[name].label, "error": error}
                                         for name, errors in form.errors.items() for error in errors))
        return redirect(product_url)
    try:
        inquiry = services.start_inquiry(by=request.user, product_id=product_id, body=form.cleaned_data["body"],
                                         quantity=form.cleaned_data["quantity"])
    except NotFound:
        raise Http404 from None
    except BusinessRuleError as error:
        messages.error(request, error.message)
        return redirect(product_url)
    messages.success(request, _("询价已发送给卖家，卖家回复后您会收到通知。"))
    return redirect("member:inquiry", inquiry.pk)


# --- buyer: member centre ---------------------------------------------------------------------

@login_required
def member_inquiries(request):
    unread = request.GET.get("show") == "unread"
    inquiries = selectors.inquiries_of_buyer(request.user, unread=unread)
    return render(request, "member/inquiries.html", {
        "page": Paginator(inquiries, PAGE_SIZE).get_page(request.GET.get("page")), "show_unread": unread,
        "unread_count": selectors.unread_counts(request.user)[selectors.BUYER],
    })


@login_required
def member_inquiry(request, inquiry_id):
    return _thread(request, inquiry_id, side=selectors.BUYER, template="member/inquiry.html",
                   here="member:inquiry")


@require_POST
@login_required
def member_inquiry_close(request, inquiry_id):
    return _close(request, inquiry_id, side=selectors.BUYER, here="member:inquiry")


# --- seller: merchant back end ----------------------------------------------------------------

def answering_page(view):
    """Sign-in required; then a member of a company holding the messaging or products permission.
    The view gets that company as its second argument."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        company = selectors.answering_company(request.user)
        if company is None:
            try:
                rules.ensure_member_may(request.user, CompanyPermission.MESSAGING)
            except NotAllowed as refusal:
                return refuse(request, refusal.message)
            return refuse(request, _("您没有执行此操作的权限。"))
        return view(request, company, *args, **kwargs)

    return wrapper


@answering_page
def merchant_inquiries(request, company):
    show = request.GET.get("show", "")
    show = show if show in selectors.SELLER_FILTERS else ""
    return render(request, "merchant/inquiries.html", {
        "company": company, "show": show, "counts": selectors.seller_counts(company),
        "page": Paginator(selectors.inquiries_of_seller(company, show=show), PAGE_SIZE).get_page(
            request.GET.get("page")),
    })


@answering_page
def merchant_inquiry(request, company, inquiry_id):
    return _thread(request, inquiry_id, side=selectors.SELLER, template="merchant/inquiry.html",
                   here="merchant:inquiry")


@require_POST
@answering_page
def merchant_inquiry_close(request, company, inquiry_id):
    return _close(request, inquiry_id, side=selectors.SELLER, here="merchant:inquiry")


# --- one thread, either side ------------------------------------------------------------------

def _thread(request, inquiry_id, *, side, template, here):
    """GET: the thread, marked read for the viewer's side. POST: a reply."""
    inquiry, _side = selectors.inquiry_thread(request.user, inquiry_id, side=side)
    if inquiry is None:
        raise Http404
    form = InquiryReplyForm()
    if request.method == "POST":
        form = InquiryReplyForm(request.POST)
        if form.is_valid():
            try:
                message = services.reply_to_inquiry(by=request.user, inquiry_id=inquiry.pk,
                                                    body=form.cleaned_data["body"])
            except BusinessRuleError as error:
                _apply_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("回复已发送。"))
                    return redirect(f"{reverse(here, args=[inquiry.pk])}#message-{message.pk}")
                form = InquiryReplyForm()
        inquiry, _side = selectors.inquiry_thread(request.user, inquiry_id, side=side)
    else:
        services.mark_inquiry_read(by=request.user, inquiry_id=inquiry.pk)
        setattr(inquiry, f"{side}_unread", False)
    context = {"inquiry": inquiry, "side": side, "form": form, "reply_url": reverse(here, args=[inquiry.pk])}
    if request.htmx:
        return render(request, "includes/inquiry_thread.html", context)
    return render(request, template, context)


def _close(request, inquiry_id, *, side, here):
    inquiry, _side = selectors.inquiry_thread(request.user, inquiry_id, side=side)
    if inquiry is None:
        raise Http404
    if inquiry.status == Inquiry.Status.CLOSED:
        messages.info(request, _("该询价已关闭。"))
    else:
        try:
            services.close_inquiry(by=request.user, inquiry_id=inquiry.pk)
        except BusinessRuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("询价已关闭，双方都不能再回复。"))
    return redirect(here, inquiry.pk)
