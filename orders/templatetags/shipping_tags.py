"""What the shipping panel needs, computed by `orders.shipping.shipping_panel` (one place for the
rules of who may ship, sign or enter tracking)."""

from django import template

from orders import shipping
from orders.models import TrackingEvent

register = template.Library()

BADGES = {
    TrackingEvent.Kind.CREATED: "badge--muted",
    TrackingEvent.Kind.PICKED_UP: "badge--primary",
    TrackingEvent.Kind.IN_TRANSIT: "badge--info",
    TrackingEvent.Kind.OUT_FOR_DELIVERY: "badge--warning",
    TrackingEvent.Kind.DELIVERED: "badge--success",
    TrackingEvent.Kind.EXCEPTION: "badge--danger",
}


@register.simple_tag
def shipping_panel_data(order, side, membership=None):
    return shipping.shipping_panel(order=order, side=side, membership=membership)


@register.filter
def tracking_badge(kind):
    return BADGES.get(kind, "badge--muted")
