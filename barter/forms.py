"""Barter forms: they only read what people typed; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _


class WindowForm(forms.Form):
    available_from = forms.DateField(label=_("有效期自"), error_messages={"invalid": _("请填写有效的日期。"),
                                                                          "required": _("请填写有效期开始日期。")})
    available_until = forms.DateField(label=_("有效期至"), error_messages={"invalid": _("请填写有效的日期。"),
                                                                           "required": _("请填写有效期结束日期。")})


def window_from(data):
    """(available_from, available_until, errors) from posted data."""
    form = WindowForm(data)
    if form.is_valid():
        return form.cleaned_data["available_from"], form.cleaned_data["available_until"], {}
    return None, None, {field: str(errors[0]) for field, errors in form.errors.items()}
