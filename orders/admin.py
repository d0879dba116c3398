from django.contrib import admin

from orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "buyer", "seller", "status", "total", "placed_at"]
    list_filter = ["status"]
    search_fields = ["number", "buyer__name", "seller__name"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline]
    readonly_fields = ["status"]  # status moves only through orders.states.order_transition
