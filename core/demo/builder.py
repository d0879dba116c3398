"""Build the demo world (core/demo/world.py) in the database. Safe to run again: every object is
found by its natural key first, and order history is generated only once."""

import hashlib
import random
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property

from accounts import services as account_services
from accounts.models import Company, CompanyDocument, FreezeRecord, Membership, User
from accounts.validators import CREDIT_CODE_CHARSET, credit_code_check_char, id_number_check_char
from catalog import services as catalog_services
from catalog.models import Category, CategoryAttribute, PriceTier, Product, ProductRevision
from catalog.pricing import unit_price_for
from catalog.services import clean_attributes, refresh_search_vector
from core.demo import world
from core.demo.bartering import DemoBarter
from core.demo.debts import DemoDebts
from core.demo.logins import DEMO_PASSWORD, STAFF
from core.demo.trading import DemoTrading, demo_order
from core.models import Region
from core.money import to_money
from orders.models import Order, OrderLine
from orders.services import company_snapshot

PROVINCE_CODES = {
    "北京市": "110000", "天津市": "120000", "河北省": "130000", "上海市": "310000", "江苏省": "320000",
    "浙江省": "330000", "安徽省": "340000", "福建省": "350000", "山东省": "370000", "河南省": "410000",
    "湖北省": "420000", "湖南省": "430000", "广东省": "440000", "广西壮族自治区": "450000",
    "重庆市": "500000", "四川省": "510000", "陕西省": "610000",
}
CYCLES = [14, 21, 30, 30, 45, 60]


def demo_credit_code(slug, province):
    """A well-formed unified social credit code (valid GB 32100 check character) for a demo company."""
    digest = hashlib.sha256(slug.encode()).digest()
    organisation = "".join(CREDIT_CODE_CHARSET[byte % len(CREDIT_CODE_CHARSET)] for byte in digest[:9])
    first17 = "91" + PROVINCE_CODES.get(province, "330000") + organisation
    return first17 + credit_code_check_char(first17)


def demo_id_number(slug):
    """A well-formed resident ID number (valid GB 11643 check digit) for a demo legal representative."""
    digest = int(hashlib.sha256(slug.encode()).hexdigest(), 16)
    first17 = f"330106{1960 + digest % 30}{1 + digest % 12:02d}{1 + digest % 28:02d}{digest % 1000:03d}"
    return first17 + id_number_check_char(first17)


_pdf_cache = {}


def licence_details(company):
    return {"name": company.name, "unified_social_credit_code": company.unified_social_credit_code,
            "legal_representative": company.legal_representative}


def demo_pdf(title, lines, *, name):
    """A document for the demo world: a real PDF with Chinese text (weasyprint)."""
    key = (title, tuple(lines))
    if key not in _pdf_cache:
        from weasyprint import HTML

        paragraphs = "".join(f"<p>{line}</p>" for line in lines)
        html = (
            "<html><body style='font-family: \"Noto Sans CJK SC\", sans-serif; padding: 40px'>"
            f"<h1 style='text-align:center;color:#b91c1c'>{title}</h1>{paragraphs}"
            "<p style='margin-top:60px;color:#888'>本文件由演示数据生成，仅用于平台演示。</p></body></html>"
        )
        _pdf_cache[key] = HTML(string=html).write_pdf()
    return ContentFile(_pdf_cache[key], name=name)


def demo_licence(details, title="营业执照（演示）"):
    """A business licence (or ID card) scan for the demo world."""
    return demo_pdf(title, [
        f"统一社会信用代码：{details['unified_social_credit_code']}", f"名称：{details['name']}",
        f"法定代表人：{details['legal_representative']}", "类型：有限责任公司",
        "经营范围：纸浆、纸制品、包装材料的销售。"], name="营业执照.pdf")


def demo_bank_account(code):
    """A well-formed (digits only) corporate account number for a demo company."""
    return "1202021009100" + f"{int(hashlib.sha256(code.encode()).hexdigest(), 16) % 10**6:06d}"


def min_order_value(product):
    return product.price * product.min_order_quantity


class DemoWorld:
    def __init__(self, *, stdout=None, now=None):
        self.stdout = stdout
        self.now = now or timezone.now()
        self.random = random.Random(2026)

    def say(self, message):
        if self.stdout is not None:
            self.stdout.write(message)

    @transaction.atomic
    def build(self):
        self.staff = self.build_staff()
        self.categories = self.build_categories()
        self.companies = self.build_companies()
        self.products = self.build_products()
        orders = self.build_order_history()
        self.products += self.build_listing_variants()
        self.build_special_statuses()
        trading = DemoTrading(self)
        live = trading.build()
        clearing_runs, cases = DemoDebts(trading).build()
        deals = DemoBarter(trading).build()
        trading.daily_jobs()
        self.say(f"demo world: {len(self.companies)} companies, {len(self.products)} products, "
                 f"{orders} orders generated, {live} live orders placed, {len(self.staff)} staff, "
                 f"{clearing_runs} clearing runs, {cases} debt cases, {deals} barter deals")

    @staticmethod
    def is_loaded():
        """Whether the whole world is there, down to its last live order, debt case and barter
        deal (`seed_demo --once`)."""
        province = next(province for slug, _name, province, *_rest in world.COMPANIES if slug == world.DEMO_BUYER)
        buyer = Company.objects.filter(
            unified_social_credit_code=demo_credit_code(world.DEMO_BUYER, province)).first()
        return (buyer is not None and demo_order(buyer, world.LIVE_ORDERS[-1][0]) is not None
                and DemoDebts.is_loaded() and DemoBarter.is_loaded())

    pdf = staticmethod(demo_pdf)

    @staticmethod
    def bank_account(company):
        """The company's account when well-formed, else the one the demo now gives it (worlds
        built before the accounts were digits only)."""
        account = company.bank_account
        return account if account.isdigit() else demo_bank_account(company.unified_social_credit_code)

    # --- people ----------------------------------------------------------------------------

    def user(self, email, name, *, is_staff=False):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = account_services.create_user(email=email, password=None, full_name=name, is_staff=is_staff,
                                                email_verified=True)
            # Every demo login shares one password: hash it once, not once per user (seconds each).
            user.password = self.password_hash
            user.save(update_fields=["password"])
        return user

    @cached_property
    def password_hash(self):
        return make_password(DEMO_PASSWORD)

    def build_staff(self):
        staff = []
        for email, name, role in STAFF:
            user = self.user(email, name, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
            if role == "administrator" and not user.is_superuser:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            staff.append(user)
        return staff

    # --- catalogue ---------------------------------------------------------------------------

    def build_categories(self):
        categories = {}
        for position, (slug, name, name_en, children) in enumerate(world.CATEGORIES, start=1):
            root, _ = Category.objects.update_or_create(
                slug=slug, defaults={"name": name, "name_en": name_en, "parent": None, "position": position * 10},
            )
            categories[slug] = root
            for child_position, (child_slug, child_name, child_en) in enumerate(children, start=1):
                categories[child_slug], _ = Category.objects.update_or_create(
                    slug=child_slug,
                    defaults={"name": child_name, "name_en": child_en, "parent": root, "position": child_position},
                )
            for attribute_position, (name, kind, unit, choices) in enumerate(world.CATEGORY_ATTRIBUTES.get(slug, [])):
                CategoryAttribute.objects.update_or_create(category=root, name=name, defaults={
                    "kind": kind, "unit": unit, "choices": choices, "position": attribute_position})
        return categories

    # --- companies ---------------------------------------------------------------------------

    def build_companies(self):
        companies = {}
        for slug, name, province_name, city_name, role, years, capital, legal_rep, _volume in world.COMPANIES:
            province = Region.objects.get(level=Region.Level.PROVINCE, name=province_name)
            city = Region.objects.get(province=province, name=city_name)
            code = demo_credit_code(slug, province_name)
            company = Company.objects.filter(unified_social_credit_code=code).first()
            if company is None:
                main = self.user(f"main@{slug}.example.cn", f"{legal_rep}")
                details = {
                    "name": name, "unified_social_credit_code": code, "province": province, "city": city,
                    "legal_representative": legal_rep, "legal_representative_id_number": demo_id_number(slug),
                    "contact_name": legal_rep, "contact_phone": f"1{self.random.randint(3000000000, 8999999999)}",
                    "contact_email": main.email, "taxpayer_type": Company.TaxpayerType.GENERAL,
                    "invoice_title": name, "tax_number": code, "invoice_address": f"{province_name}{city_name}",
                    "invoice_phone": "0571-88886666", "bank_name": "中国工商银行",
                    "bank_account": demo_bank_account(code),
                }
                if role in {"pending", "rejected"}:
                    company = self.apply(main, details, rejected=role == "rejected")
                else:
                    company = account_services.register_company(
                        main_user=main, status=Company.Status.VERIFIED, short_name=name[2:6],
                        registered_capital=Decimal(capital) * 10000,
                        established_on=(self.now - timedelta(days=365 * (years + 3))).date(),
                        **{key: value for key, value in details.items() if key != "name"}, name=name,
                    )
                joined = self.now - timedelta(days=max(30, int(365 * years) + self.random.randint(0, 120)))
                Company.objects.filter(pk=company.pk).update(
                    created_at=joined, verified_at=joined + timedelta(days=2) if company.is_verified else None,
                )
                company.refresh_from_db()
            companies[slug] = company
            for local, person, title, permissions in world.SUB_ACCOUNTS.get(slug, []):
                user = self.user(f"{local}@{slug}.example.cn", person)
                if not Membership.objects.filter(user=user).exists():
                    account_services.add_member(company=company, user=user, permissions=permissions,
                                                by=company.memberships.get(is_main=True).user, job_title=title)
        return companies

    def apply(self, main, details, *, rejected):
        """Applicants go through the real form's service, with a generated licence scan."""
        application = account_services.apply_for_verification(
            user=main, details=details, documents={CompanyDocument.Kind.BUSINESS_LICENCE: [demo_licence(details)]},
        )
        if rejected:
            account_services.review_application(
                application_id=application.pk, reviewer=self.staff[1], approve=False,
                reason="营业执照照片不清晰，且企业名称与执照不一致，请重新上传清晰的营业执照原件扫描件。",
            )
        return application.company

    def build_special_statuses(self):
        """A frozen company and one with a change under review, so staff have something to look at."""
        frozen, changing = self.companies[world.FROZEN], self.companies[world.CHANGE_PENDING]
        if frozen.status == Company.Status.VERIFIED:
            account_services.freeze_company(
                company=frozen, by=self.staff[2], channel=FreezeRecord.Channel.CUSTOMER_SERVICE,
                reason="企业来电称主账号密码泄露，疑似被盗用，已核验营业执照与法定代表人身份证。",
                proofs={
                    CompanyDocument.Kind.BUSINESS_LICENCE: [demo_licence(licence_details(frozen))],
                    CompanyDocument.Kind.LEGAL_REPRESENTATIVE_ID: [demo_licence(licence_details(frozen),
                                                                                title="法定代表人身份证（演示）")],
                },
            )
        if changing.status == Company.Status.VERIFIED:
            new_name = changing.name.replace("有限公司", "集团有限公司")
            account_services.request_company_change(
                user=changing.memberships.get(is_main=True).user, changes={"name": new_name},
                documents={CompanyDocument.Kind.BUSINESS_LICENCE: [
                    demo_licence({**licence_details(changing), "name": new_name})]},
            )

    # --- products ---------------------------------------------------------------------------

    def build_products(self):
        products = []
        for seller_slug, listings in world.PRODUCTS.items():
            seller = self.companies[seller_slug]
            for index, (category, title, unit, price, moq, attributes, tiers) in enumerate(listings):
                attributes, _errors = clean_attributes(self.categories[category], attributes)
                product, created = Product.objects.get_or_create(
                    seller=seller, title=title,
                    defaults={
                        "category": self.categories[category], "unit": unit, "price": Decimal(price),
                        "min_order_quantity": Decimal(moq), "attributes": attributes,
                        "warehouse_region": seller.city, "status": Product.Status.PUBLISHED,
                        "published_at": seller.created_at + timedelta(days=10 + index),
                        "is_featured": index == 0,
                        "description": (f"{title}。{seller.name}直供，{seller.city}仓库发货，"
                                        "支持对公转账与增值税专用发票。"),
                    },
                )
                if created:
                    PriceTier.objects.bulk_create(
                        PriceTier(product=product, min_quantity=Decimal(q), unit_price=Decimal(p)) for q, p in tiers
                    )
                    refresh_search_vector(product.pk)
                products.append(product)
        return products

    def variant_specs(self, title, attributes, price):
        """(title, attributes, price) of the other grammages or packings of a base listing."""
        grammage = attributes.get("克重")
        if isinstance(grammage, int | float):
            for factor, price_factor in world.GRAMMAGE_VARIANTS:
                new = int(round(grammage * factor / 5) * 5) or 5
                old_text = f"{grammage:g}g"
                name = title.replace(old_text, f"{new}g") if old_text in title else f"{title} {new}g"
                yield name, {**attributes, "克重": new}, price * Decimal(str(price_factor))
        else:
            for packing, price_factor in world.PACKING_VARIANTS:
                yield f"{title}（{packing}）", {**attributes, "包装方式": packing}, price * Decimal(str(price_factor))

    def build_listing_variants(self):
        """More listings per seller, with stock in the ledger; one in each review state for staff."""
        created = []
        bases = Product.objects.filter(pk__in=[product.pk for product in self.products])
        for base in bases.select_related("seller", "category").prefetch_related("price_tiers").order_by("id"):
            for offset, (title, attributes, price) in enumerate(self.variant_specs(base.title, base.attributes,
                                                                                    base.price), start=1):
                product, was_created = Product.objects.get_or_create(seller=base.seller, title=title, defaults={
                    "category": base.category, "unit": base.unit, "price": to_money(price),
                    "min_order_quantity": base.min_order_quantity, "attributes": attributes,
                    "warehouse_region": base.warehouse_region, "status": Product.Status.PUBLISHED,
                    "published_at": base.published_at + timedelta(days=offset * 7), "description": base.description,
                })
                if was_created:
                    PriceTier.objects.bulk_create(
                        PriceTier(product=product, min_quantity=tier.min_quantity,
                                  unit_price=to_money(tier.unit_price * price / base.price))
                        for tier in base.price_tiers.all())
                    refresh_search_vector(product.pk)
                    created.append(product)
        for product in Product.objects.filter(status=Product.Status.PUBLISHED, stock_movements__isnull=True):
            main = product.seller.memberships.get(is_main=True).user
            quantity = (product.min_order_quantity * self.random.randint(3, 60)).quantize(Decimal("1"))
            catalog_services.receive_stock(by=main, product_id=product.pk, quantity=quantity, reason="期初库存")
        self.build_review_examples()
        return created

    def build_review_examples(self):
        """A listing waiting for review, a rejected one, a draft, a live one with an edit under review,
        and a major client's reservation, so every catalogue screen has something on it."""
        seller = self.companies["rizhao-board"]
        main = seller.memberships.get(is_main=True).user
        board = self.categories["ivory-board"]
        examples = [
            ("港湾 270g 白卡纸 高挺度（新品）", Product.Status.PENDING_REVIEW, ""),
            ("港湾 白卡纸 全网最低价", Product.Status.REJECTED, "标题含“全网最低价”等绝对化用语，请修改后重新提交。"),
            ("港湾 180g 白卡纸（草稿）", Product.Status.DRAFT, ""),
        ]
        for title, status, reason in examples:
            product, was_created = Product.objects.get_or_create(seller=seller, title=title, defaults={
                "category": board, "unit": Product.Unit.TON, "price": Decimal("5080.00"),
                "min_order_quantity": Decimal("10"), "attributes": {"克重": 270, "等级": "A级", "品牌": "港湾"},
                "warehouse_region": seller.city, "status": status, "rejection_reason": reason,
                "submitted_at": self.now - timedelta(hours=20) if status != Product.Status.DRAFT else None,
            })
            if was_created:
                refresh_search_vector(product.pk)
        live = Product.objects.filter(seller=seller, status=Product.Status.PUBLISHED).order_by("id").first()
        if live and not live.revisions.exists():
            ProductRevision.objects.create(product=live, title=f"{live.title} 食品接触级", category=live.category,
                                           description=live.description, attributes=live.attributes, created_by=main)
        client = self.companies["dongfang-pack"]
        lufeng = self.companies["lufeng-paper"]
        ivory = Product.objects.filter(seller=lufeng, category=board, status=Product.Status.PUBLISHED).first()
        if ivory and not ivory.reservations.exists():
            catalog_services.reserve_for_client(
                by=lufeng.memberships.get(is_main=True).user, product_id=ivory.pk, holder=client,
                quantity=min(ivory.stock_available, Decimal("50")), expires_at=self.now + timedelta(days=30),
                note="年度框架协议备货")

    # --- a year of orders ------------------------------------------------------------------

    def build_order_history(self):
        buyers = [self.companies[slug] for slug in world.BUYER_BASKETS]
        if Order.objects.filter(buyer__in=buyers).exists():
            return 0
        by_category = {}
        for product in Product.objects.prefetch_related("price_tiers").select_related("category", "seller"):
            by_category.setdefault(product.category.slug, []).append(product)
        volumes = {slug: volume for slug, *_rest, volume in world.COMPANIES}
        orders, lines = [], []
        sequence = 0
        for buyer_slug, basket in world.BUYER_BASKETS.items():
            buyer = self.companies[buyer_slug]
            placed_by = buyer.memberships.get(is_main=True).user
            streams = []
            share = Decimal(volumes[buyer_slug]) / len(basket)
            for category in basket:
                candidates = [p for p in by_category.get(category, []) if p.seller_id != buyer.pk]
                affordable = [p for p in candidates if min_order_value(p) <= share]
                if affordable or candidates:
                    chosen = self.random.choice(affordable) if affordable else min(candidates, key=min_order_value)
                    streams.append((chosen, self.random.choice(CYCLES)))
            for product, cycle in streams:
                # As many orders as the cycle allows, but none below the minimum order.
                count = max(1, min(365 // cycle, int(share / min_order_value(product))))
                cycle = 365 // count
                per_order = share / count
                day = self.random.randint(1, cycle)
                while day <= 365:
                    placed = self.business_time(self.now - timedelta(days=365 - day))
                    if placed > self.now:
                        break
                    quantity = self.quantity_for(product, per_order * Decimal(self.random.randint(80, 120)) / 100)
                    unit_price = unit_price_for(product, quantity, tiers=list(product.price_tiers.all()))
                    amount = to_money(unit_price * quantity)
                    sequence += 1
                    order = Order(
                        number=f"PO{timezone.localtime(placed):%Y%m%d}{sequence:05d}", buyer=buyer,
                        seller=product.seller, total=amount, placed_at=placed,
                        placed_by=placed_by,
                        buyer_snapshot=company_snapshot(buyer), seller_snapshot=company_snapshot(product.seller),
                        **self.lifecycle(placed),
                    )
                    orders.append(order)
                    lines.append(OrderLine(
                        order=order, product=product, category=product.category, title=product.title,
                        unit=product.get_unit_display(), quantity=quantity, unit_price=unit_price, amount=amount,
                    ))
                    day += cycle + self.random.randint(-3, 3)
        Order.objects.bulk_create(orders, batch_size=500)
        OrderLine.objects.bulk_create(lines, batch_size=500)
        return len(orders)

    def business_time(self, moment):
        local = timezone.localtime(moment)
        return local.replace(hour=self.random.randint(9, 17), minute=self.random.randint(0, 59), second=0,
                             microsecond=0)

    def quantity_for(self, product, amount):
        """Whole units (tons, cases…) worth about `amount`, never below the minimum order."""
        quantity = (amount / product.price).quantize(Decimal("1"), rounding=ROUND_CEILING)
        return max(quantity, product.min_order_quantity)

    def lifecycle(self, placed):
        """Status and timestamps that fit the order's age."""
        age = (self.now - placed).days
        paid = placed + timedelta(hours=self.random.randint(4, 60))
        done = placed + timedelta(days=self.random.randint(7, 12))
        if age > 15:
            roll = self.random.random()
            if roll < 0.03:
                return {"status": Order.Status.CANCELLED}
            if roll < 0.05:
                return {"status": Order.Status.REFUNDED, "paid_at": paid}
            return {"status": Order.Status.COMPLETED, "paid_at": paid, "completed_at": done}
        if age <= 2:
            return {"status": Order.Status.PENDING_PAYMENT}
        if age <= 5:
            return {"status": Order.Status.PAID, "paid_at": paid}
        if age <= 9:
            return {"status": Order.Status.SHIPPED, "paid_at": paid}
        return {"status": Order.Status.RECEIVED, "paid_at": paid}

