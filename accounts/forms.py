from django import forms
from django.utils.translation import gettext_lazy as _

from core.permissions import CompanyPermission


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100,
                           help_text=_("例如：ERP 订单同步"))
    scopes = forms.MultipleChoiceField(label=_("权限范围"), choices=CompanyPermission.choices,
                                       widget=forms.CheckboxSelectMultiple, required=False)
