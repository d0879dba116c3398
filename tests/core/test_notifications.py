import pytest
from django.core import mail

from core.models import Notification
from core.notifications import deliver_email, mark_read, notify
from tests import factories

pytestmark = pytest.mark.django_db


def test_same_notification_key_is_delivered_once(django_capture_on_commit_callbacks):
    user = factories.UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(recipient=user, kind="tier", key="tier:2026Q4:1", title="您的客户等级已更新")
        second = notify(recipient=user, kind="tier", key="tier:2026Q4:1", title="您的客户等级已更新")
    assert first is not None and second is None
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_delivering_the_same_email_twice_sends_one(django_capture_on_commit_callbacks):
    user = factories.UserFactory()
    notification = notify(recipient=user, kind="tier", key="k", title="标题", email=True)
    assert deliver_email(notification_id=notification.pk) is True
    assert deliver_email(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_inbox_shows_and_marks_read(client):
    user = factories.UserFactory()
    notify(recipient=user, kind="demo", key="a", title="补货提醒：白卡纸", email=False)
    client.force_login(user)
    response = client.get("/inbox/")
    assert "补货提醒：白卡纸" in response.content.decode()
    client.post("/inbox/read/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_mark_read_only_touches_own_notifications():
    owner, other = factories.UserFactory(), factories.UserFactory()
    mine = notify(recipient=owner, kind="x", key="1", title="t", email=False)
    theirs = notify(recipient=other, kind="x", key="1", title="t", email=False)
    assert mark_read(user=owner, notification_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
