"""{% dispute_panel_state order side user as state %}: the dispute panel's data (orders.disputes)."""

from django import template

from orders import disputes

register = template.Library()


@register.simple_tag
def dispute_panel_state(order, side, user):
    return disputes.panel_state(order=order, side=side, user=user)
