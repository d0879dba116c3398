"""The carrier simulator: realistic waybill numbers and a route that is the same on every query,
in time order, from the sender's city through hubs to the receiver's, revealed as time passes."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from orders.carriers import CarrierError, TrackingContext, carrier_for, valid_waybill
from orders.carriers.simulator import STALLED_SUFFIX, SimulatedCarrier, simulated_route, stalled_waybill
from orders.models import TrackingEvent

K = TrackingEvent.Kind


def context(created_at, now=None):
    return TrackingContext(created_at=created_at, origin_city="济南", destination_city="上海", now=now)


@pytest.mark.parametrize("code, pattern", [("sf", r"^SF\d{12}$"), ("jd", r"^JDV[A-E]\d{11}$")])
def test_waybill_numbers_look_like_the_carriers(code, pattern):
    numbers = {SimulatedCarrier(code).create_waybill(None) for _ in range(50)}
    assert len(numbers) == 50
    for number in numbers:
        assert re.match(pattern, number) and valid_waybill(code, number)
        assert not number.endswith(STALLED_SUFFIX)


@pytest.mark.parametrize("code", ["sf", "jd"])
def test_same_waybill_same_route_in_time_order(code):
    start = timezone.now() - timedelta(days=10)
    number = SimulatedCarrier(code).create_waybill(None)
    first = simulated_route(code, number, context(start))
    assert first == simulated_route(code, number, context(start))
    times = [update.occurred_at for update in first]
    assert times == sorted(times) and len(set(times)) == len(times)
    kinds = [update.kind for update in first]
    assert kinds[:2] == [K.CREATED, K.PICKED_UP] and kinds[-2:] == [K.OUT_FOR_DELIVERY, K.DELIVERED]
    assert set(kinds[2:-2]) == {K.IN_TRANSIT}
    assert first[1].location == "济南" and first[-1].location == "上海"
    hubs = {update.location for update in first if update.location.endswith(("转运中心", "分拨中心"))}
    assert 1 <= len(hubs) <= 3 and not any(hub.startswith(("济南", "上海")) for hub in hubs)
    assert timedelta(days=1) <= times[-1] - times[0] <= timedelta(days=4)


def test_within_one_city_the_goods_pass_only_its_own_sorting_centre():
    start = timezone.now() - timedelta(days=10)
    route = simulated_route("sf", "SF123456789012", TrackingContext(created_at=start, origin_city="杭州",
                                                                     destination_city="杭州"))
    assert {u.location for u in route if u.location.endswith(("转运中心", "分拨中心"))} == {"杭州分拨中心"}


def test_different_waybills_take_different_routes():
    start = timezone.now() - timedelta(days=10)
    routes = {tuple((u.location, u.occurred_at) for u in simulated_route("sf", f"SF1234567890{i:02d}", context(start)))
              for i in range(10)}
    assert len(routes) > 1


def test_only_steps_whose_time_has_come_are_reported():
    start = timezone.now()
    carrier = SimulatedCarrier("sf")
    number = carrier.create_waybill(None)
    full = simulated_route("sf", number, context(start))
    halfway = full[len(full) // 2].occurred_at
    seen = carrier.fetch_tracking(number, context=context(start, now=halfway))
    assert seen == [update for update in full if update.occurred_at <= halfway]
    assert carrier.fetch_tracking(number, context=context(start, now=start)) == full[:1]
    assert carrier.fetch_tracking(number, context=context(start, now=start + timedelta(days=5))) == full


def test_a_stalled_waybill_never_moves():
    number = stalled_waybill("jd")
    assert number.endswith(STALLED_SUFFIX) and valid_waybill("jd", number)
    start = timezone.now() - timedelta(days=30)
    updates = SimulatedCarrier("jd").fetch_tracking(number, context=context(start, now=timezone.now()))
    assert [update.kind for update in updates] == [K.CREATED]
    assert updates[0].occurred_at == start.replace(microsecond=0)


def test_registry_picks_the_backend_from_settings():
    assert isinstance(carrier_for("sf"), SimulatedCarrier)
    with pytest.raises(CarrierError):
        carrier_for("offline")
    with override_settings(ORDERS_CARRIERS={"sf": {"backend": "carrier-pigeon"}}), pytest.raises(CarrierError):
        carrier_for("sf")
    with override_settings(ORDERS_CARRIERS={"sf": {"backend": "live", "base_url": ""}}), pytest.raises(
            CarrierError, match="未配置"):
        carrier_for("sf")
