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

        from accounts.models import Company
        from catalog.models import Category, PriceTier, Product
        # Anything a storefront page or the product API shows: listings, their tiers, the tree,
        # and sellers' names and status.
        for model in (Product, PriceTier, Category, Company):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-save-{model.__name__}")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-del-{model.__name__}")
