from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def catalog_changed(**_kwargs):
    """Cached storefront pages and product API pages are stale once this commits."""
    from core.cache import bump_on_commit

    bump_on_commit("catalog")


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("商品目录")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from catalog import selectors
        from catalog.models import Product
        from core.audit import describe_actions
        from core.backoffice import register_queue

        describe_actions({"product.status": _("商品状态"), "product.create": _("创建商品"),
                          "product.update": _("修改商品"), "product.import": _("批量导入")},
                         values={"product.status": Product.Status})
        from core.permissions import StaffRole
        from core.schedules import register_schedule

        register_schedule(name="catalog.expire_stock_reservations", task="catalog.tasks.expire_stock_reservations",
                          crontab={"minute": "*/10"}, description=_("每 10 分钟释放到期的库存预留"))
        register_queue(key="listings", label=_("待审核的商品与修改"), url_name="backoffice-catalog:reviews",
                       count=selectors.review_queue_count, roles=(StaffRole.REVIEWER,))

        from accounts.models import Company
        from catalog.models import CatalogSettings, Category, CategoryAttribute, PriceTier, Product, ProductImage
        # Anything a storefront page or the product API shows: listings, their tiers and images,
        # the tree and its attributes, sellers' names and status, and who may see prices.
        for model in (Product, PriceTier, ProductImage, Category, CategoryAttribute, Company, CatalogSettings):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-save-{model.__name__}")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-del-{model.__name__}")
