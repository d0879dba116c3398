"""Forms of the buying pages: cart, checkout, messages, cancellation, approval, adjustments and
the order lists' filters. They only parse; the rules live in orders.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderSettings

# A date input takes YYYY-MM-DD only, whatever the page's language formats dates as.
ISO_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
QUANTITY_FIELD = {"max_digits": 14, "decimal_places": 3, "min_value": 0.001}


class CartQuantityForm(forms.Form):
    quantity = forms.DecimalField(label=_("数量"), **QUANTITY_FIELD,
                                  error_messages={"required": _("请填写数量。"), "invalid": _("请填写有效的数量。")})


class CheckoutForm(forms.Form):
    buyer_note = forms.CharField(label=_("买家留言"), max_length=500, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    payment_method = forms.ChoiceField(label=_("付款方式"), choices=Order.PaymentMethod.choices,
                                       initial=Order.PaymentMethod.TRANSFER, widget=forms.RadioSelect, required=False)


class MessageForm(forms.Form):
    body = forms.CharField(label=_("留言"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请填写留言内容。")})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写原因。")})


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, required=False)


class AdjustmentForm(forms.Form):
    """One quantity and unit price field per order line, filled with the current values."""

    note = forms.CharField(label=_("调整说明"), max_length=300, required=False)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order.lines.all())
        for line in self.order_lines:
            self.fields[f"quantity_{line.pk}"] = forms.DecimalField(
                label=_("%(title)s 数量") % {"title": line.title}, initial=line.quantity, **QUANTITY_FIELD)
            self.fields[f"unit_price_{line.pk}"] = forms.DecimalField(
                label=_("%(title)s 单价") % {"title": line.title}, initial=line.unit_price, max_digits=16,
                decimal_places=2, min_value=0.01)

    def rows(self):
        return [(line, self[f"quantity_{line.pk}"], self[f"unit_price_{line.pk}"]) for line in self.order_lines]

    def line_changes(self):
        return {line.pk: {"quantity": self.cleaned_data[f"quantity_{line.pk}"],
                          "unit_price": self.cleaned_data[f"unit_price_{line.pk}"]} for line in self.order_lines}


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + Order.Status.choices)
    counterparty = forms.CharField(label=_("交易对方"), required=False, max_length=100)
    number = forms.CharField(label=_("订单号"), required=False, max_length=40)
    since = forms.DateField(label=_("下单日期从"), required=False, widget=ISO_DATE)
    until = forms.DateField(label=_("至"), required=False, widget=ISO_DATE)

    def filters(self):
        """The valid filters (an invalid date is simply ignored, the rest still apply)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or ("" if name not in ("since", "until") else None)
                for name in ("status", "counterparty", "number", "since", "until")}


class StaffOrderFilterForm(OrderFilterForm):
    counterparty = None
    number = None
    text = forms.CharField(label=_("订单号 / 企业 / 汇款识别码"), required=False, max_length=100)

    def filters(self):
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"text": data.get("text") or "", "status": data.get("status") or "", "since": data.get("since"),
                "until": data.get("until")}


class OrderSettingsForm(forms.ModelForm):
    class Meta:
        model = OrderSettings
        fields = ["payment_window_hours", "auto_receive_days", "refund_auto_approve_hours", "complete_after_days"]

    def clean(self):
        data = super().clean()
        limits = {"payment_window_hours": (1, 24 * 30), "auto_receive_days": (1, 60),
                  "refund_auto_approve_hours": (1, 24 * 30), "complete_after_days": (0, 90)}
        for name, (low, high) in limits.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, _("请填写 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": high})
        return data
