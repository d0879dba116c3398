"""Opening the page a notification points at marks it read; other notifications stay unread."""

import pytest

from core.models import Notification
from core.notifications import notify
from tests import factories

pytestmark = pytest.mark.django_db


def test_opening_the_linked_page_reads_the_notification(client, buyer):
    user = factories.main_user_of(buyer)
    notify(recipient=user, kind="order.paid", key="a", title="订单已付款", link="/member/orders/#x", email=False)
    notify(recipient=user, kind="order.paid", key="b", title="另一条", link="/member/", email=False)
    client.force_login(user)

    assert client.get("/member/orders/").status_code == 200

    assert Notification.objects.get(dedup_key="a").read_at is not None
    assert Notification.objects.get(dedup_key="b").read_at is None


def test_another_users_notification_is_not_touched(client, buyer):
    user, other = factories.main_user_of(buyer), factories.sub_account(buyer, ["purchasing"])
    notify(recipient=other, kind="order.paid", key="c", title="他人的通知", link="/member/orders/", email=False)
    client.force_login(user)
    client.get("/member/orders/")
    assert Notification.objects.get(dedup_key="c").read_at is None


def test_the_cached_inbox_badge_follows_new_and_read_notifications(client, buyer):
    from core.selectors import unread_count

    user = factories.main_user_of(buyer)
    assert unread_count(user=user) == 0  # now cached
    notify(recipient=user, kind="order.paid", key="d", title="新通知", link="/member/orders/", email=False)
    assert unread_count(user=user) == 1
    client.force_login(user)
    client.get("/member/orders/")
    assert unread_count(user=user) == 0


def test_a_link_with_a_query_string_is_read_on_its_page_and_not_elsewhere(client, buyer):
    user = factories.main_user_of(buyer)
    notify(recipient=user, kind="order.paid", key="e", title="带参数的链接", link="/member/orders/?status=paid",
           email=False)
    client.force_login(user)
    client.get("/member/")
    assert Notification.objects.get(dedup_key="e").read_at is None
    client.get("/member/orders/")
    assert Notification.objects.get(dedup_key="e").read_at is not None
