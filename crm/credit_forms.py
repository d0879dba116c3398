"""Forms of the credit pages: a credit application, a staff decision, a collection (回款)."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Collection, PaymentTerm

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0.01")}


class CreditApplicationForm(forms.Form):
    requested_limit = forms.DecimalField(label=_("申请额度（元）"), **MONEY)
    requested_term_days = forms.TypedChoiceField(label=_("账期"), choices=PaymentTerm.choices, coerce=int,
                                                 initial=PaymentTerm.DAYS_30)
    purpose = forms.CharField(label=_("用途说明"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("如：旺季备货、长期合同采购。"))


class CreditDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批结论"), choices=[("approve", _("批准")), ("reject", _("不批准"))],
                                 widget=forms.RadioSelect, initial="approve")
    limit = forms.DecimalField(label=_("批准额度（元）"), required=False, **MONEY)
    term_days = forms.TypedChoiceField(label=_("批准账期"), choices=PaymentTerm.choices, coerce=int, required=False)
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False,
                           help_text=_("不批准或超出建议范围（仅管理员）时必填。"))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve":
            if data.get("limit") is None:
                self.add_error("limit", _("请填写批准额度。"))
            if not data.get("term_days"):
                self.add_error("term_days", _("请选择账期。"))
        return data


class CollectionForm(forms.Form):
    received_on = forms.DateField(label=_("回款日期"), initial=timezone.localdate,
                                  widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    document_number = forms.CharField(label=_("单据号"), max_length=40)
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)
    method = forms.ChoiceField(label=_("方式"), choices=Collection.Method.choices)
    receiving_bank = forms.CharField(label=_("收款银行"), max_length=100)
    acceptor = forms.CharField(label=_("承兑人"), max_length=100, required=False,
                               help_text=_("银行承兑汇票必填。"))
    department = forms.CharField(label=_("经办部门"), max_length=60, required=False)
    order_number = forms.CharField(label=_("对应订单号"), max_length=32, required=False,
                                   help_text=_("填写后只核销该订单；留空则按到期日从早到晚自动核销，或在下表逐笔填写核销金额。"))
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, receivables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.receivables = list(receivables)
        for receivable in self.receivables:
            self.fields[f"allocate_{receivable.pk}"] = forms.DecimalField(
                label=receivable.order.number, required=False, max_digits=16, decimal_places=2,
                min_value=Decimal("0.01"), max_value=receivable.balance)

    def allocation_rows(self):
        return [(receivable, self[f"allocate_{receivable.pk}"]) for receivable in self.receivables]

    def explicit_allocations(self):
        return {receivable.pk: self.cleaned_data[f"allocate_{receivable.pk}"] for receivable in self.receivables
                if self.cleaned_data.get(f"allocate_{receivable.pk}")}

    def clean(self):
        data = super().clean()
        if data.get("method") == Collection.Method.ACCEPTANCE_BILL and not (data.get("acceptor") or "").strip():
            self.add_error("acceptor", _("银行承兑汇票必须填写承兑人。"))
        return data
