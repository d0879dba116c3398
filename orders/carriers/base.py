"""The carrier adapter: what the platform asks of a carrier, whatever carrier it is.

A carrier books a waybill for a shipment (`create_waybill`) and reports the shipment's route
(`fetch_tracking`) as `TrackingUpdate`s whose `kind` is one of `TrackingEvent.Kind`. Every failure
(network, refusal, garbled answer) is a `CarrierError` with a message a member can read.
"""

import abc
import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import BusinessRuleError
from orders.models import Shipment, TrackingEvent

logger = logging.getLogger(__name__)

Kind = TrackingEvent.Kind
CHINA_TIME = ZoneInfo("Asia/Shanghai")
ONLINE = (Shipment.Carrier.JD, Shipment.Carrier.SF)

# Waybill numbers as the carriers print them: SF "SF" + 12–13 digits, JD "JD" + 13 letters/digits
# (e.g. JDVA01234567890).
WAYBILL_FORMATS = {
    Shipment.Carrier.SF: re.compile(r"^SF\d{12,13}$"),
    Shipment.Carrier.JD: re.compile(r"^JD[0-9A-Z]{13}$"),
    Shipment.Carrier.OFFLINE: re.compile(r"^[0-9A-Z][0-9A-Z-]{3,39}$"),
}


class CarrierError(BusinessRuleError):
    """The carrier could not do what was asked (unreachable, refused, or answered nonsense)."""

    code = "carrier_error"
    status_code = 502
    default_message = gettext_lazy("物流公司接口暂时不可用，请稍后重试。")


@dataclass(frozen=True)
class Party:
    """Sender or receiver of a shipment, as the carrier needs them on the waybill."""

    name: str
    contact: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    address: str = ""

    @property
    def full_address(self):
        return f"{self.province}{self.city}{self.address}" or self.name


@dataclass(frozen=True)
class ShipmentRequest:
    """What a carrier needs to book a waybill."""

    reference: str  # our order number: the carrier's customer order id
    sender: Party
    receiver: Party
    cargo: str
    packages: int = 1
    created_at: datetime = field(default_factory=timezone.now)


@dataclass(frozen=True)
class TrackingContext:
    """What we know about a waybill besides its number: when it was handed over, between which
    cities, and the receiver's phone (SF asks for its last four digits). `now` is the moment of
    the query (the simulator reports nothing after it)."""

    created_at: datetime
    origin_city: str = ""
    destination_city: str = ""
    phone: str = ""
    now: datetime | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    kind: str  # a TrackingEvent.Kind value
    occurred_at: datetime
    location: str
    description: str


class Carrier(abc.ABC):
    """One online carrier. Implementations raise `CarrierError` for every failure."""

    code: str

    @abc.abstractmethod
    def create_waybill(self, shipment_request: ShipmentRequest) -> str:
        """Book a pickup and return the waybill number the carrier assigned."""

    @abc.abstractmethod
    def fetch_tracking(self, waybill_number: str, *, context: TrackingContext | None = None) -> list[TrackingUpdate]:
        """Every route step the carrier reports for the waybill, oldest first."""


def is_online(code) -> bool:
    return code in ONLINE


def normalise_waybill(number) -> str:
    return re.sub(r"\s+", "", str(number or "")).upper()


def valid_waybill(code, number) -> bool:
    pattern = WAYBILL_FORMATS.get(code)
    return bool(pattern and pattern.match(number))


def carrier_settings(code) -> dict:
    return (getattr(settings, "ORDERS_CARRIERS", {}) or {}).get(code) or {"backend": "simulator"}


def carrier_for(code) -> Carrier:
    """The adapter for an online carrier, as the settings choose it ("simulator" or "live")."""
    if not is_online(code):
        raise CarrierError(_("线下物流没有对接承运商接口，轨迹由发货方手工录入。"), code="carrier_offline")
    config = carrier_settings(code)
    backend = config.get("backend", "simulator")
    if backend == "simulator":
        from orders.carriers.simulator import SimulatedCarrier

        return SimulatedCarrier(code)
    if backend == "live":
        if code == Shipment.Carrier.JD:
            from orders.carriers.jd import JdCarrier

            return JdCarrier(config)
        from orders.carriers.sf import SfCarrier

        return SfCarrier(config)
    raise CarrierError(_("承运商接口配置有误，请联系平台。"), code="carrier_misconfigured")


def timeout() -> float:
    return float((getattr(settings, "ORDERS_CARRIERS", {}) or {}).get("timeout", 10))


def post(url, *, body: bytes, content_type, carrier_label, params_in_url="") -> dict:
    """POST to a carrier and parse its JSON answer; every failure becomes a CarrierError."""
    target = f"{url}?{params_in_url}" if params_in_url else url
    if not target.startswith(("https://", "http://")):
        raise CarrierError(_("承运商接口配置有误，请联系平台。"), code="carrier_misconfigured")
    request = urllib.request.Request(target, data=body, method="POST",  # noqa: S310 (http(s) only, checked above)
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout()) as response:  # noqa: S310 (http(s) only)
            raw = response.read()
    except urllib.error.HTTPError as error:
        logger.warning("%s answered HTTP %s", carrier_label, error.code)
        raise CarrierError(_("%(carrier)s接口返回错误（HTTP %(status)s），请稍后重试。") % {
            "carrier": carrier_label, "status": error.code}) from error
    except TimeoutError as error:
        raise CarrierError(_("%(carrier)s接口响应超时，请稍后重试。") % {"carrier": carrier_label},
                           code="carrier_timeout") from error
    except (urllib.error.URLError, OSError) as error:
        logger.warning("%s unreachable: %s", carrier_label, error)
        raise CarrierError(_("无法连接%(carrier)s接口，请稍后重试。") % {"carrier": carrier_label}) from error
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise CarrierError(_("%(carrier)s接口返回了无法识别的数据。") % {"carrier": carrier_label}) from error


def parse_carrier_time(value) -> datetime | None:
    """A carrier's time: "yyyy-MM-dd HH:mm:ss" in China time, or epoch milliseconds."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)) or str(value).isdigit():
            return datetime.fromtimestamp(int(value) / 1000, tz=CHINA_TIME).replace(microsecond=0)
        return datetime.strptime(str(value).strip()[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TIME)
    except (ValueError, OverflowError, OSError):
        return None
