"""SF Express (顺丰速运) through 丰桥 (the SF open platform).

Every call is one form POST to the configured service URL with partnerID (顾客编码), requestID,
serviceCode, timestamp, msgData (JSON) and msgDigest = base64(md5(urlencode(msgData + timestamp +
checkword))). The answer's apiResultData is itself a JSON string with success / errorMsg / msgData.
Services used: EXP_RECE_CREATE_ORDER (book a pickup, get the waybill number) and
EXP_RECE_SEARCH_ROUTES (the route of a waybill).
"""

import base64
import hashlib
import json
import time
import urllib.parse
import uuid

from django.utils.translation import gettext as _

from orders.carriers.base import (
    Carrier,
    CarrierError,
    Kind,
    ShipmentRequest,
    TrackingUpdate,
    parse_carrier_time,
    post,
)

CREATE_ORDER = "EXP_RECE_CREATE_ORDER"
SEARCH_ROUTES = "EXP_RECE_SEARCH_ROUTES"
OK = "A1000"

# 丰桥 route operation codes (opCode) → our kinds; codes not listed are transit scans.
OP_CODES = {
    "50": Kind.PICKED_UP, "54": Kind.PICKED_UP, "43": Kind.PICKED_UP,
    "44": Kind.OUT_FOR_DELIVERY, "204": Kind.OUT_FOR_DELIVERY,
    "80": Kind.DELIVERED, "8000": Kind.DELIVERED,
    "33": Kind.EXCEPTION, "70": Kind.EXCEPTION, "99": Kind.EXCEPTION, "648": Kind.EXCEPTION,
}


def quote_like_java(text) -> str:
    """java.net.URLEncoder.encode(text, "UTF-8"), which SF's digest is defined over."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


def msg_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    digest = hashlib.md5(quote_like_java(msg_data + timestamp + checkword).encode("utf-8")).digest()  # noqa: S324
    return base64.b64encode(digest).decode("ascii")


class SfCarrier(Carrier):
    code = "sf"
    label = "顺丰"

    def __init__(self, config):
        self.base_url = (config.get("base_url") or "").rstrip("/")
        self.partner_id = config.get("app_key", "")
        self.checkword = config.get("app_secret", "")
        self.monthly_card = config.get("customer_code", "")
        if not (self.base_url and self.partner_id and self.checkword):
            raise CarrierError(_("顺丰接口未配置（顾客编码或校验码缺失），请联系平台。"), code="carrier_misconfigured")

    def call(self, service_code, msg_data: dict) -> dict:
        text = json.dumps(msg_data, ensure_ascii=False, separators=(",", ":"))
        timestamp = str(int(time.time() * 1000))
        form = urllib.parse.urlencode({
            "partnerID": self.partner_id, "requestID": uuid.uuid4().hex, "serviceCode": service_code,
            "timestamp": timestamp, "msgDigest": msg_digest(text, timestamp, self.checkword), "msgData": text,
        })
        answer = post(self.base_url, body=form.encode("utf-8"), carrier_label=self.label,
                      content_type="application/x-www-form-urlencoded;charset=UTF-8")
        if not isinstance(answer, dict):
            raise CarrierError(_("顺丰接口返回了无法识别的数据。"))
        if answer.get("apiResultCode") != OK:
            raise CarrierError(_("顺丰接口拒绝了请求：%(reason)s") % {
                "reason": answer.get("apiErrorMsg") or answer.get("apiResultCode") or _("未知错误")})
        try:
            result = json.loads(answer.get("apiResultData") or "{}")
        except (TypeError, ValueError) as error:
            raise CarrierError(_("顺丰接口返回了无法识别的数据。")) from error
        if not result.get("success"):
            raise CarrierError(_("顺丰：%(reason)s（%(code)s）") % {
                "reason": result.get("errorMsg") or _("请求失败"), "code": result.get("errorCode") or "—"})
        return result.get("msgData") or {}

    def create_waybill(self, shipment_request: ShipmentRequest) -> str:
        def contact(party, kind):
            return {"contactType": kind, "company": party.name[:100], "contact": (party.contact or party.name)[:100],
                    "mobile": party.phone, "province": party.province, "city": party.city,
                    "address": party.full_address[:200], "country": "CN"}

        data = self.call(CREATE_ORDER, {
            "language": "zh-CN", "orderId": shipment_request.reference,
            "cargoDetails": [{"name": shipment_request.cargo[:60], "count": shipment_request.packages}],
            "contactInfoList": [contact(shipment_request.sender, 1), contact(shipment_request.receiver, 2)],
            "monthlyCard": self.monthly_card, "payMethod": 1, "expressTypeId": 1,
            "parcelQty": shipment_request.packages, "isReturnRoutelabel": 1,
        })
        for info in data.get("waybillNoInfoList") or []:
            if info.get("waybillType", 1) == 1 and info.get("waybillNo"):
                return str(info["waybillNo"]).strip().upper()
        raise CarrierError(_("顺丰已接单但未返回运单号，请稍后在顺丰后台核对。"))

    def fetch_tracking(self, waybill_number, *, context=None) -> list[TrackingUpdate]:
        query = {"language": "zh-CN", "trackingType": 1, "trackingNumber": [waybill_number], "methodType": 1}
        if context is not None and context.phone:
            query["checkPhoneNo"] = context.phone[-4:]
        data = self.call(SEARCH_ROUTES, query)
        updates = []
        for response in data.get("routeResps") or []:
            if str(response.get("mailNo", "")).upper() != waybill_number:
                continue
            for route in response.get("routes") or []:
                occurred_at = parse_carrier_time(route.get("acceptTime"))
                if occurred_at is None:
                    continue
                updates.append(TrackingUpdate(
                    kind=OP_CODES.get(str(route.get("opCode", "")), Kind.IN_TRANSIT), occurred_at=occurred_at,
                    location=str(route.get("acceptAddress") or "")[:100],
                    description=str(route.get("remark") or "")[:300] or "顺丰物流更新",
                ))
        return sorted(updates, key=lambda update: update.occurred_at)
