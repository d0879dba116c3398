"""Merchant and back-office forms of the catalogue. They collect input; catalog.services decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog import images
from catalog.models import Category, CategoryAttribute, Product
from catalog.services import ListingData, category_attributes
from core.models import Region

TIER_ROWS = 4


class LeafCategoryField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        return f"{category.parent.name} › {category.name}" if category.parent_id else category.name


def leaf_categories():
    return Category.objects.filter(is_active=True, children__isnull=True).select_related("parent").order_by(
        "parent__position", "position", "id")


class CityField(forms.ModelChoiceField):
    def label_from_instance(self, city):
        return f"{city.province.name} · {city.name}" if city.province_id else city.name


class ListingForm(forms.Form):
    """A listing's fields, the category's structured attributes (one field each) and up to four
    quantity price tiers. `attribute_fields` are built from the chosen category."""

    title = forms.CharField(label=_("商品标题"), max_length=120,
                            help_text=_("包含品牌、克重、规格等关键词，便于买家搜索。"))
    category = LeafCategoryField(label=_("类目"), queryset=Category.objects.none(), empty_label=_("请选择类目"))
    unit = forms.ChoiceField(label=_("计价单位"), choices=Product.Unit.choices)
    price = forms.DecimalField(label=_("单价（元）"), max_digits=16, decimal_places=2, min_value=0)
    min_order_quantity = forms.DecimalField(label=_("起订量"), max_digits=14, decimal_places=3, min_value=0)
    warehouse_region = CityField(label=_("仓库所在城市"), required=False, empty_label=_("请选择城市"),
                                 queryset=Region.objects.filter(level="city").select_related("province")
                                 .order_by("province__position", "position", "id"))
    seller_sku = forms.CharField(label=_("商家编码"), max_length=40, required=False)
    description = forms.CharField(label=_("商品描述"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    extra_attributes = forms.CharField(
        label=_("其他属性"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项，格式“名称=值”，如：光泽度=≥75%"))

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        chosen = category
        if self.is_bound and self.data.get("category", "").isdigit():
            chosen = Category.objects.filter(pk=self.data["category"]).first() or category
        self.attribute_definitions = category_attributes(chosen) if chosen else []
        for definition in self.attribute_definitions:
            self.fields[f"attr_{definition.pk}"] = self._attribute_field(definition)
        for row in range(1, TIER_ROWS + 1):
            self.fields[f"tier_{row}_quantity"] = forms.DecimalField(
                label=_("第 %(n)s 档起订数量") % {"n": row}, required=False, max_digits=14, decimal_places=3,
                min_value=0)
            self.fields[f"tier_{row}_price"] = forms.DecimalField(
                label=_("第 %(n)s 档单价（元）") % {"n": row}, required=False, max_digits=16, decimal_places=2,
                min_value=0)

    @staticmethod
    def _attribute_field(definition):
        label = f"{definition.name}（{definition.unit}）" if definition.unit else definition.name
        if definition.kind == CategoryAttribute.Kind.NUMBER:
            return forms.DecimalField(label=label, required=definition.is_required, max_digits=14, decimal_places=3)
        if definition.kind == CategoryAttribute.Kind.CHOICE and definition.choices:
            return forms.ChoiceField(label=label, required=definition.is_required,
                                     choices=[("", _("请选择"))] + [(c, c) for c in definition.choices])
        return forms.CharField(label=label, required=definition.is_required, max_length=100)

    @property
    def attribute_bound_fields(self):
        return [self[f"attr_{definition.pk}"] for definition in self.attribute_definitions]

    @property
    def tier_rows(self):
        return [(self[f"tier_{row}_quantity"], self[f"tier_{row}_price"]) for row in range(1, TIER_ROWS + 1)]

    def clean_extra_attributes(self):
        extra = {}
        for number, line in enumerate(self.cleaned_data["extra_attributes"].splitlines(), start=1):
            if not line.strip():
                continue
            name, separator, value = line.partition("=")
            if not separator or not name.strip() or not value.strip():
                raise forms.ValidationError(_("第 %(n)s 行应写成“名称=值”。") % {"n": number})
            extra[name.strip()] = value.strip()
        return extra

    def listing_data(self) -> ListingData:
        data = self.cleaned_data
        attributes = dict(data.get("extra_attributes") or {})
        for definition in self.attribute_definitions:
            value = data.get(f"attr_{definition.pk}")
            if value not in (None, ""):
                attributes[definition.name] = value
        tiers = [(data[f"tier_{row}_quantity"], data[f"tier_{row}_price"]) for row in range(1, TIER_ROWS + 1)
                 if data.get(f"tier_{row}_quantity") is not None and data.get(f"tier_{row}_price") is not None]
        return ListingData(
            title=data["title"], category=data["category"], price=data["price"], unit=data["unit"],
            min_order_quantity=data["min_order_quantity"], description=data.get("description", ""),
            attributes=attributes, warehouse_region=data.get("warehouse_region"),
            seller_sku=data.get("seller_sku", ""), tiers=tiers,
        )

    @classmethod
    def initial_for(cls, product, revision=None):
        """Initial values from a listing (and its pending revision's text, which is what the seller last wrote)."""
        source = revision or product
        defined = {definition.name: definition.pk for definition in category_attributes(source.category)}
        initial = {
            "title": source.title, "category": source.category_id, "description": source.description,
            "unit": product.unit, "price": product.price, "min_order_quantity": product.min_order_quantity,
            "warehouse_region": product.warehouse_region_id, "seller_sku": product.seller_sku,
            "extra_attributes": "\n".join(f"{name}={value}" for name, value in source.attributes.items()
                                          if name not in defined),
        }
        for name, pk in defined.items():
            if name in source.attributes:
                initial[f"attr_{pk}"] = source.attributes[name]
        for row, tier in enumerate(product.price_tiers.all()[:TIER_ROWS], start=1):
            initial[f"tier_{row}_quantity"], initial[f"tier_{row}_price"] = tier.min_quantity, tier.unit_price
        return initial


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("商品图片"), validators=[images.validate_image],
                            help_text=_("JPEG、PNG 或 WebP，不超过 5 MB"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))


class StockMovementForm(forms.Form):
    KINDS = [("in", _("入库")), ("out", _("出库")), ("adjustment", _("盘点调整"))]

    kind = forms.ChoiceField(label=_("操作"), choices=KINDS)
    quantity = forms.DecimalField(label=_("数量（盘点时填盘点后的在库数）"), max_digits=14, decimal_places=3,
                                  min_value=0)
    reason = forms.CharField(label=_("原因"), max_length=200)
    reference = forms.CharField(label=_("关联单号"), max_length=40, required=False)


class ReservationForm(forms.Form):
    holder = forms.ModelChoiceField(label=_("预留给（企业）"), queryset=None, empty_label=_("请选择企业"))
    quantity = forms.DecimalField(label=_("数量"), max_digits=14, decimal_places=3, min_value=0)
    expires_at = forms.DateTimeField(label=_("预留到"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, seller=None, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import Company

        self.fields["holder"].queryset = Company.objects.filter(status=Company.Status.VERIFIED).exclude(
            pk=getattr(seller, "pk", None)).order_by("name")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("驳回"))], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("驳回原因（卖家可见）"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    name_en = forms.CharField(label=_("英文名称"), max_length=80, required=False)
    slug = forms.CharField(label=_("标识"), max_length=80, help_text=_("小写字母、数字和连字符，用于网址。"))
    parent = forms.ModelChoiceField(label=_("上级类目"), required=False, empty_label=_("（顶级类目）"),
                                    queryset=Category.objects.filter(parent__isnull=True).order_by("position", "id"))
    position = forms.IntegerField(label=_("排序"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class CategoryAttributeForm(forms.Form):
    name = forms.CharField(label=_("属性名"), max_length=30)
    kind = forms.ChoiceField(label=_("类型"), choices=CategoryAttribute.Kind.choices)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    choices = forms.CharField(label=_("可选值"), required=False, help_text=_("类型为“选项”时填写，用顿号或逗号分隔。"))
    is_required = forms.BooleanField(label=_("必填"), required=False)
    is_filter = forms.BooleanField(label=_("用于筛选"), required=False, initial=True)
    position = forms.IntegerField(label=_("排序"), min_value=0, initial=0)

    def clean_choices(self):
        raw = self.cleaned_data["choices"].replace("、", ",").replace("，", ",")
        return [choice.strip() for choice in raw.split(",") if choice.strip()]


class PriceVisibilityForm(forms.Form):
    price_visibility = forms.ChoiceField(label=_("价格展示"), widget=forms.RadioSelect,
                                         choices=[("everyone", _("所有访客可见")), ("verified", _("仅认证企业可见"))])
