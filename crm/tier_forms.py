"""Forms for the tier, manager and client pages (input parsing only; rules live in the services)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import TIER_RANK, ManagerRole, Tier, Visit


class TierRulesForm(forms.Form):
    """All major tiers' rules on one form, so thresholds can be moved past one another at once."""

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        existing = {rule.tier: rule for rule in rules}
        self.tiers = sorted((tier for tier in Tier.values if tier != Tier.ORDINARY), key=lambda t: -TIER_RANK[t])
        for tier in self.tiers:
            rule = existing.get(tier)
            self.fields[f"{tier}-min_purchases_12m"] = forms.DecimalField(
                label=_("近 12 个月采购额不低于（元）"), max_digits=16, decimal_places=2, min_value=0,
                initial=rule.min_purchases_12m if rule else None, required=True)
            self.fields[f"{tier}-min_years_on_platform"] = forms.IntegerField(
                label=_("入驻年限不低于（年）"), min_value=0, max_value=100,
                initial=rule.min_years_on_platform if rule else 0)
            self.fields[f"{tier}-strategic_qualifies"] = forms.BooleanField(
                label=_("战略客户直接达到"), required=False, initial=rule.strategic_qualifies if rule else False)
            self.fields[f"{tier}-is_active"] = forms.BooleanField(
                label=_("启用"), required=False, initial=rule.is_active if rule else True)

    def rows(self):
        """[(tier label, tier, [bound fields])] for the template."""
        return [(Tier(tier).label, tier, [self[f"{tier}-{name}"] for name in
                                          ("min_purchases_12m", "min_years_on_platform", "strategic_qualifies",
                                           "is_active")])
                for tier in self.tiers]

    def rule_data(self):
        from crm.tiers import RuleData

        data = self.cleaned_data
        return [RuleData(tier=tier, min_purchases_12m=data[f"{tier}-min_purchases_12m"],
                         min_years_on_platform=data[f"{tier}-min_years_on_platform"],
                         strategic_qualifies=data[f"{tier}-strategic_qualifies"],
                         is_active=data[f"{tier}-is_active"]) for tier in self.tiers]


class AssignManagerForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=ManagerRole.choices)
    manager = forms.ModelChoiceField(label=_("接手人"), queryset=None, required=False,
                                     empty_label=_("（取消该角色）"))
    notes = forms.CharField(label=_("交接说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        from crm.managers import account_managers

        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = account_managers()
        self.fields["manager"].label_from_instance = lambda user: user.full_name or user.email


class StrategicForm(forms.Form):
    strategic = forms.BooleanField(label=_("战略客户"), required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Visit.Kind.choices)
    occurred_on = forms.DateField(label=_("日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                                  initial=timezone.localdate)
    attendees = forms.CharField(label=_("参加人员"), max_length=300, required=False)
    summary = forms.CharField(label=_("纪要"), widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label=_("后续事项"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewTaskForm(forms.Form):
    summary = forms.CharField(label=_("回顾总结"), widget=forms.Textarea(attrs={"rows": 3}))
