from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.adapters import MobileField
from accounts.documents import validate_document
from accounts.models import Company, CompanyDocument
from accounts.validators import validate_credit_code, validate_id_number
from core.models import Region
from core.permissions import CompanyPermission


class DocumentField(forms.FileField):
    """PDF, JPEG or PNG by content, at most 10 MB."""

    default_validators = [validate_document]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("help_text", _("PDF、JPEG 或 PNG，不超过 10 MB"))
        super().__init__(*args, **kwargs)


class RegionFields(forms.Form):
    province = forms.ModelChoiceField(label=_("注册省份"), queryset=Region.objects.filter(level="province"),
                                      empty_label=_("请选择省份"))
    city = forms.ModelChoiceField(label=_("注册城市"), queryset=Region.objects.filter(level="city"),
                                  empty_label=_("请选择城市"))

    def clean(self):
        cleaned = super().clean()
        province, city = cleaned.get("province"), cleaned.get("city")
        if province and city and city.province_id != province.pk:
            self.add_error("city", _("所选城市不属于该省份。"))
        return cleaned


class VerificationForm(RegionFields):
    """Enterprise verification (企业认证), also used by individual members to upgrade."""

    name = forms.CharField(label=_("企业名称"), max_length=120, help_text=_("与营业执照一致"))
    unified_social_credit_code = forms.CharField(label=_("统一社会信用代码"), min_length=18, max_length=18,
                                                 validators=[validate_credit_code])
    legal_representative = forms.CharField(label=_("法定代表人姓名"), max_length=60)
    legal_representative_id_number = forms.CharField(label=_("法定代表人身份证号"), min_length=18, max_length=18,
                                                     validators=[validate_id_number])
    contact_name = forms.CharField(label=_("联系人"), max_length=60)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    contact_email = forms.EmailField(label=_("联系邮箱"), required=False)
    taxpayer_type = forms.ChoiceField(label=_("纳税人类型"), choices=Company.TaxpayerType.choices)
    invoice_title = forms.CharField(label=_("发票抬头"), max_length=120)
    tax_number = forms.CharField(label=_("纳税人识别号"), max_length=20)
    invoice_address = forms.CharField(label=_("开票地址"), max_length=200)
    invoice_phone = forms.CharField(label=_("开票电话"), max_length=30)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40)
    business_licence = DocumentField(label=_("营业执照"))
    tax_registration = DocumentField(label=_("税务登记证"), required=False)
    authorisation_letter = DocumentField(label=_("授权书"), required=False)

    field_order = ["name", "unified_social_credit_code", "province", "city", "legal_representative",
                   "legal_representative_id_number", "contact_name", "contact_phone", "contact_email"]

    def clean_unified_social_credit_code(self):
        return self.cleaned_data["unified_social_credit_code"].strip().upper()

    def clean_legal_representative_id_number(self):
        return self.cleaned_data["legal_representative_id_number"].strip().upper()

    def details(self):
        return {key: value for key, value in self.cleaned_data.items() if key not in DOCUMENT_FIELDS}

    def documents(self):
        return {kind: [self.cleaned_data[field]] for field, kind in DOCUMENT_FIELDS.items()
                if self.cleaned_data.get(field)}


DOCUMENT_FIELDS = {
    "business_licence": CompanyDocument.Kind.BUSINESS_LICENCE,
    "tax_registration": CompanyDocument.Kind.TAX_REGISTRATION,
    "authorisation_letter": CompanyDocument.Kind.AUTHORISATION_LETTER,
    "legal_representative_id": CompanyDocument.Kind.LEGAL_REPRESENTATIVE_ID,
}


class CompanyChangeForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=120)
    legal_representative = forms.CharField(label=_("法定代表人姓名"), max_length=60)
    legal_representative_id_number = forms.CharField(label=_("法定代表人身份证号"), min_length=18, max_length=18,
                                                     validators=[validate_id_number])
    business_licence = DocumentField(label=_("新的营业执照"))

    def changes(self):
        return {key: self.cleaned_data[key] for key in ("name", "legal_representative",
                                                         "legal_representative_id_number")}


class SubAccountForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=60)
    email = forms.EmailField(label=_("登录邮箱"))
    mobile = forms.RegexField(label=_("手机号"), regex=r"^1\d{10}$", required=False,
                              error_messages={"invalid": _("请输入 11 位手机号。")})
    job_title = forms.CharField(label=_("职务"), max_length=60, required=False)
    permissions = forms.MultipleChoiceField(label=_("权限"), choices=CompanyPermission.choices,
                                            widget=forms.CheckboxSelectMultiple, required=False)
    how = forms.ChoiceField(label=_("登录密码"), widget=forms.RadioSelect, initial="invite", choices=[
        ("invite", _("发送邀请邮件，由员工自行设置密码")), ("password", _("现在设置初始密码")),
    ])
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=True), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("how") == "password" and not cleaned.get("password"):
            self.add_error("password", _("请设置初始密码，或改为发送邀请邮件。"))
        return cleaned


class SubAccountPermissionsForm(forms.Form):
    job_title = forms.CharField(label=_("职务"), max_length=60, required=False)
    permissions = forms.MultipleChoiceField(label=_("权限"), choices=CompanyPermission.choices,
                                            widget=forms.CheckboxSelectMultiple, required=False)


class PurchaseLimitForm(forms.Form):
    purchase_approval_limit = forms.DecimalField(
        label=_("采购审批限额（元）"), required=False, min_value=0, max_digits=16, decimal_places=2,
        help_text=_("子账号单笔订单金额超过此限额时，需主账号审批后才发给卖家；留空表示无需审批。"))


class OperationLogForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("操作人"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(label=_("动作"), required=False)
    q = forms.CharField(label=_("对象或关键词"), required=False)
    since = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("全部成员"))] + [
            (membership.user_id, membership.user.display_name) for membership in members
        ]


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label=_("请输入登录密码确认"), widget=forms.PasswordInput)


class FreezeForm(PasswordConfirmForm):
    reason = forms.CharField(label=_("冻结原因"), widget=forms.Textarea(attrs={"rows": 3}),
                             initial=_("怀疑账号被盗用"))


class UnfreezeRequestForm(forms.Form):
    note = forms.CharField(label=_("解冻申请说明"), widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("请说明情况，例如已修改密码、已排查员工账号。平台客服可能会电话核实。"))


class DeregisterForm(PasswordConfirmForm):
    confirm = forms.BooleanField(label=_("我已了解：注销后所有登录将被停用，个人信息将被清除，账户不能恢复或合并。"))


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结论"), widget=forms.RadioSelect,
                                 choices=[("approve", _("通过")), ("reject", _("驳回"))])
    reason = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             help_text=_("驳回时必填，申请人会看到。"))


class StaffFreezeForm(forms.Form):
    reason = forms.CharField(label=_("冻结原因"), widget=forms.Textarea(attrs={"rows": 3}))
    business_licence = DocumentField(label=_("营业执照"))
    legal_representative_id = DocumentField(label=_("法定代表人身份证"))


class UnfreezeForm(forms.Form):
    reason = forms.CharField(label=_("解冻审核意见"), widget=forms.Textarea(attrs={"rows": 3}))


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：ERP 订单同步"))
    scopes = forms.MultipleChoiceField(label=_("权限范围"), choices=CompanyPermission.choices,
                                       widget=forms.CheckboxSelectMultiple, required=False)


class MobileResetRequestForm(forms.Form):
    mobile = MobileField()


class MobileResetForm(forms.Form):
    code = forms.CharField(label=_("短信验证码"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
    password1 = forms.CharField(label=_("新密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("再次输入新密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return cleaned
