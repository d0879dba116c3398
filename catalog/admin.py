from django.contrib import admin

from catalog.models import Category, PriceTier, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "parent", "position", "is_active"]
    list_filter = ["parent"]
    search_fields = ["name", "name_en", "slug"]


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "category", "price", "unit", "status", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title", "seller__name"]
    inlines = [PriceTierInline]
