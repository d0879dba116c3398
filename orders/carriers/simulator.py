"""A carrier that needs no network: development and tests.

Waybill numbers look like the real ones (SF: "SF" + 12 digits; JD: "JDV" + a letter + 11 digits).
The route is worked out from the waybill number and the time the shipment was handed over, so
every query for the same waybill tells the same story: 已下单 → 已揽收 in the sender's city → through
one to three hubs (上海转运中心, 武汉分拨中心, …) → 派送中 → 已送达 in the receiver's city, spread
over one to four days. Only the steps whose time has come are reported.

Route texts are carrier data in Chinese, as the real carriers send them, not interface text: they
are never translated, so a poll under another language cannot store the same step twice.

A waybill ending in STALLED_SUFFIX ("0000") is booked and then never moves: it reports only its
已下单 step, however long one waits (for "no tracking movement" rules and their tests).
"""

import hashlib
import random
import secrets
from datetime import timedelta

from django.utils import timezone

from orders.carriers.base import Carrier, Kind, ShipmentRequest, TrackingContext, TrackingUpdate
from orders.models import Shipment

STALLED_SUFFIX = "0000"
HUBS = ["上海转运中心", "武汉分拨中心", "郑州转运中心", "广州分拨中心", "北京转运中心", "成都分拨中心",
        "杭州转运中心", "济南分拨中心", "南京转运中心", "长沙分拨中心", "西安转运中心", "沈阳分拨中心"]
COURIERS = ["王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅", "赵师傅"]
NAMES = {Shipment.Carrier.SF: "顺丰速运", Shipment.Carrier.JD: "京东物流"}


def _digits(count):
    return "".join(secrets.choice("0123456789") for _ in range(count))


def new_waybill(code, *, stalled=False) -> str:
    """A fresh waybill number in the carrier's format; `stalled` gives one that never moves."""
    while True:
        sf = code == Shipment.Carrier.SF
        number = "SF" + _digits(12) if sf else "JDV" + secrets.choice("ABCDE") + _digits(11)
        if stalled:
            return number[:-len(STALLED_SUFFIX)] + STALLED_SUFFIX
        if not number.endswith(STALLED_SUFFIX):
            return number


def stalled_waybill(code) -> str:
    return new_waybill(code, stalled=True)


def _city(name, fallback):
    return (name or "").strip() or fallback


def simulated_route(code, waybill_number, context: TrackingContext) -> list[TrackingUpdate]:
    """The whole route of a waybill, including steps still in the future, oldest first."""
    rng = random.Random(hashlib.sha256(f"{code}:{waybill_number}".encode()).digest())
    carrier = NAMES.get(code, "承运商")
    start = context.created_at.replace(microsecond=0)
    origin = _city(context.origin_city, "深圳")
    destination = _city(context.destination_city, "北京")
    steps = [(Kind.CREATED, origin, f"{carrier}已接单，等待快递员上门揽收")]
    if waybill_number.endswith(STALLED_SUFFIX):
        return [TrackingUpdate(kind, start, location, description) for kind, location, description in steps]

    steps.append((Kind.PICKED_UP, origin, f"{carrier}已揽收快件（{origin}营业部）"))
    if origin[:2] == destination[:2]:  # same city: through the city's own sorting centre only
        route = [f"{origin}分拨中心"]
    else:
        hubs = [hub for hub in HUBS if not hub.startswith((origin[:2], destination[:2]))]
        route = rng.sample(hubs, rng.randint(1, 3))
    previous = f"{origin}营业部"
    for hub in route:
        steps.append((Kind.IN_TRANSIT, hub, f"快件已从【{previous}】发出，下一站【{hub}】"))
        steps.append((Kind.IN_TRANSIT, hub, f"快件已到达【{hub}】"))
        previous = hub
    station = f"{destination}营业部"
    steps.append((Kind.IN_TRANSIT, destination, f"快件已从【{previous}】发出，下一站【{station}】"))
    steps.append((Kind.IN_TRANSIT, destination, f"快件已到达【{station}】"))
    courier = rng.choice(COURIERS)
    phone = f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}"
    steps.append((Kind.OUT_FOR_DELIVERY, destination, f"快递员{courier}正在派送，电话：{phone}"))
    signer = rng.choice(["本人", "前台代收", "仓库收货员", "门卫代收"])
    steps.append((Kind.DELIVERED, destination, f"快件已签收，签收人：{signer}，感谢使用{carrier}"))

    # Spread the steps over 1–4 days: pickup within a few hours, then sorted random moments.
    total = timedelta(hours=rng.randint(24, 96))
    pickup = timedelta(minutes=rng.randint(60, 360))
    moments = sorted(rng.random() for _ in range(len(steps) - 3))
    offsets = [timedelta(0), pickup] + [pickup + (total - pickup) * (0.05 + 0.85 * m) for m in moments] + [total]
    # Strictly increasing, to the second: the unique constraint (shipment, time, kind, text) stays stable.
    updates, last = [], None
    for (kind, location, description), offset in zip(steps, offsets, strict=True):
        moment = (start + offset).replace(microsecond=0)
        if last is not None and moment <= last:
            moment = last + timedelta(minutes=1)
        updates.append(TrackingUpdate(kind, moment, location, description))
        last = moment
    return updates


class SimulatedCarrier(Carrier):
    def __init__(self, code):
        self.code = code

    def create_waybill(self, shipment_request: ShipmentRequest) -> str:
        return new_waybill(self.code)

    def fetch_tracking(self, waybill_number, *, context=None) -> list[TrackingUpdate]:
        if context is None:
            return []
        now = context.now or timezone.now()
        return [update for update in simulated_route(self.code, waybill_number, context) if update.occurred_at <= now]
