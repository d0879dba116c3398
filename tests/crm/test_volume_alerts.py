"""Volume anomaly alerts: a major client's last full quarter against the one before."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.backoffice import queues_for
from core.models import Notification
from core.permissions import StaffRole
from core.schedules import _defaults as schedules
from crm import alerts
from crm.models import ClientProfile, CrmSettings, Tier, VolumeAlert
from orders.models import Order
from tests import factories
from tests.crm.reminder_helpers import purchase

pytestmark = pytest.mark.django_db

# 15 October 2026: the last full quarter is 2026Q3 (July–September), compared with 2026Q2.
NOW = timezone.make_aware(datetime(2026, 10, 15, 9, 0))


@pytest.fixture
def manager(db):
    return factories.staff_user(StaffRole.ACCOUNT_MANAGER)


def major(company, *, tier=Tier.GOLD, manager=None):
    ClientProfile.objects.update_or_create(company=company, defaults={"tier": tier, "primary_manager": manager})
    return company


def quarters(buyer, seller, previous, current):
    purchase(buyer, seller, date(2026, 5, 10), total=previous)
    purchase(buyer, seller, date(2026, 8, 10), total=current)


def detect():
    return alerts.detect_volume_anomalies(now=NOW)


def test_quarter_arithmetic():
    assert alerts.last_full_quarter(date(2026, 10, 1)) == (2026, 3)
    assert alerts.last_full_quarter(date(2026, 2, 28)) == (2025, 4)
    assert alerts.previous_quarter(2026, 1) == (2025, 4)
    assert alerts.quarter_key(2026, 3) == "2026Q3"


@pytest.mark.parametrize(("current", "direction"), [
    ("130000.00", "rise"),  # exactly +30 %
    ("129990.00", None),    # +29.99 %
    ("80000.00", "fall"),   # exactly −20 %
    ("80010.00", None),     # −19.99 %
    ("0.00", "fall"),       # stopped buying
])
def test_thresholds(buyer, seller, manager, current, direction):
    major(buyer, manager=manager)
    quarters(buyer, seller, "100000.00", current)
    assert detect() == (1 if direction else 0)
    if direction:
        alert = VolumeAlert.objects.get()
        assert (alert.company, alert.period, alert.direction) == (buyer, "2026Q3", direction)
        assert alert.previous_amount == Decimal("100000.00") and alert.current_amount == Decimal(current)
        assert alert.change_percent == (Decimal(current) - 100000) / 1000


def test_thresholds_come_from_the_settings(buyer, seller):
    CrmSettings.objects.create(volume_rise_alert_percent=50, volume_fall_alert_percent=40)
    major(buyer)
    quarters(buyer, seller, "100000.00", "140000.00")
    assert detect() == 0


def test_ordinary_clients_are_not_watched(buyer, seller):
    major(buyer, tier=Tier.ORDINARY)
    quarters(buyer, seller, "100000.00", "200000.00")
    assert detect() == 0


def test_no_previous_purchases_means_no_baseline(buyer, seller):
    major(buyer)
    purchase(buyer, seller, date(2026, 8, 10), total="500000.00")
    assert detect() == 0


def test_refunds_and_uncounted_orders_are_left_out(buyer, seller):
    major(buyer)
    quarters(buyer, seller, "100000.00", "100000.00")
    purchase(buyer, seller, date(2026, 8, 20), total="50000.00", amount_paid=Decimal("50000.00"),
             amount_refunded=Decimal("50000.00"))
    purchase(buyer, seller, date(2026, 8, 21), total="90000.00", status=Order.Status.CANCELLED)
    purchase(buyer, seller, date(2026, 10, 2), total="90000.00")  # this quarter: not yet compared
    assert detect() == 0
    purchase(buyer, seller, date(2026, 9, 30), total="30000.00", status=Order.Status.SHIPPED)
    assert detect() == 1 and VolumeAlert.objects.get().direction == "rise"


def test_running_again_alerts_and_notifies_once(buyer, seller, manager):
    major(buyer, manager=manager)
    quarters(buyer, seller, "100000.00", "50000.00")
    assert detect() == 1
    assert detect() == 0
    assert VolumeAlert.objects.count() == 1
    notification = Notification.objects.get(kind=alerts.NOTIFICATION_KIND)
    assert notification.recipient == manager
    assert "下降 50.00%" in notification.title and buyer.name in notification.title
    assert VolumeAlert.objects.get().manager == manager


def test_without_a_primary_manager_every_account_manager_is_told(buyer, seller, manager):
    colleague = factories.staff_user(StaffRole.ACCOUNT_MANAGER)
    factories.staff_user(StaffRole.FINANCE)
    major(buyer)
    quarters(buyer, seller, "100000.00", "150000.00")
    detect()
    recipients = set(Notification.objects.filter(kind=alerts.NOTIFICATION_KIND).values_list("recipient", flat=True))
    assert recipients == {manager.pk, colleague.pk}


def test_acknowledge_once_by_an_account_manager(buyer, seller, manager):
    major(buyer)
    quarters(buyer, seller, "100000.00", "150000.00")
    detect()
    alert = VolumeAlert.objects.get()
    reviewer = factories.staff_user(StaffRole.REVIEWER)
    with pytest.raises(alerts.NotAllowed):
        alerts.acknowledge_alert(by=reviewer, alert_id=alert.pk)
    assert alerts.unacknowledged_count() == 1
    alerts.acknowledge_alert(by=manager, alert_id=alert.pk)
    assert alerts.unacknowledged_count() == 0
    with pytest.raises(alerts.BusinessRuleError, match="已于"):
        alerts.acknowledge_alert(by=manager, alert_id=alert.pk)
    with pytest.raises(alerts.NotFound):
        alerts.acknowledge_alert(by=manager, alert_id=alert.pk + 999)


def test_scheduled_daily_with_a_work_queue_for_account_managers(manager):
    assert schedules["crm.detect_volume_anomalies"].task == "crm.tasks_reminders.detect_volume_anomalies"
    assert schedules["crm.compute_reorder_reminders"].task == "crm.tasks_reminders.compute_reorder_reminders"
    assert "crm.volume_alerts" in {queue.key for queue in queues_for(manager)}
    assert "crm.volume_alerts" not in {queue.key for queue in queues_for(factories.staff_user(StaffRole.REVIEWER))}


def test_back_office_page_filters_and_acknowledges(client, buyer, seller, manager):
    other = major(factories.company(name="宁波测试纸品有限公司"))
    major(buyer)
    quarters(buyer, seller, "100000.00", "150000.00")
    quarters(other, seller, "100000.00", "10000.00")
    detect()
    client.force_login(manager)
    page = client.get("/backoffice/crm/alerts/")
    assert page.status_code == 200
    assert buyer.name in page.content.decode() and other.name in page.content.decode()
    rises = client.get("/backoffice/crm/alerts/", {"direction": "rise", "period": "2026Q3"}).content.decode()
    assert buyer.name in rises and other.name not in rises

    alert = VolumeAlert.objects.get(company=buyer)
    response = client.post(f"/backoffice/crm/alerts/{alert.pk}/acknowledge/", follow=True)
    assert "已处理：" in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    pending = client.get("/backoffice/crm/alerts/").content.decode()
    assert buyer.name not in pending and other.name in pending
    assert buyer.name in client.get("/backoffice/crm/alerts/", {"acknowledged": "yes"}).content.decode()


def test_back_office_page_is_for_account_managers(client):
    client.force_login(factories.staff_user(StaffRole.REVIEWER))
    assert client.get("/backoffice/crm/alerts/").status_code == 403
    client.force_login(factories.staff_user(StaffRole.ADMINISTRATOR))
    assert client.get("/backoffice/crm/alerts/").status_code == 200
