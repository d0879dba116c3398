"""JD Logistics (京东物流) through the 京东物流开放平台 (LOP) gateway.

Each call POSTs a JSON array body to base_url + path with the system parameters in the query:
LOP-DN, app_key, access_token, timestamp ("yyyy-MM-dd HH:mm:ss", China time), v=2.0,
algorithm=md5-salt and sign = md5(secret + "access_token" + token + "app_key" + key + "method" +
path + "param_json" + body + "timestamp" + timestamp + "v" + "2.0" + secret), lower-case hex.
Paths used: /ecap/v1/orders/create (book a pickup, get the waybill code) and
/ecap/v1/orders/trace/query (the waybill's route).
"""

import hashlib
import json
import urllib.parse
from datetime import datetime

from django.utils.translation import gettext as _

from orders.carriers.base import (
    CHINA_TIME,
    Carrier,
    CarrierError,
    Kind,
    ShipmentRequest,
    TrackingUpdate,
    parse_carrier_time,
    post,
)

CREATE_PATH = "/ecap/v1/orders/create"
TRACE_PATH = "/ecap/v1/orders/trace/query"
DOMAIN = "ECAP"

# JD route titles → our kinds, first match wins (a refusal mentions 签收 too, so it comes first).
TITLE_KINDS = [
    (("拒收", "异常", "滞留", "退回", "破损", "丢失"), Kind.EXCEPTION),
    (("妥投", "签收"), Kind.DELIVERED),
    (("派送", "配送员", "开始配送"), Kind.OUT_FOR_DELIVERY),
    (("揽收", "揽件"), Kind.PICKED_UP),
    (("下单", "接单"), Kind.CREATED),
]


def kind_for_title(title) -> str:
    for words, kind in TITLE_KINDS:
        if any(word in title for word in words):
            return kind
    return Kind.IN_TRANSIT


def lop_sign(*, secret, access_token, app_key, method, param_json, timestamp, version="2.0") -> str:
    content = (f"{secret}access_token{access_token}app_key{app_key}method{method}param_json{param_json}"
               f"timestamp{timestamp}v{version}{secret}")
    return hashlib.md5(content.encode("utf-8")).hexdigest()  # noqa: S324 (the gateway's md5-salt scheme)


class JdCarrier(Carrier):
    code = "jd"
    label = "京东物流"

    def __init__(self, config):
        self.base_url = (config.get("base_url") or "").rstrip("/")
        self.app_key = config.get("app_key", "")
        self.app_secret = config.get("app_secret", "")
        self.access_token = config.get("access_token", "")
        self.customer_code = config.get("customer_code", "")
        if not (self.base_url and self.app_key and self.app_secret):
            raise CarrierError(_("京东物流接口未配置（app key 或密钥缺失），请联系平台。"),
                               code="carrier_misconfigured")

    def call(self, path, payload) -> dict:
        body = json.dumps([payload], ensure_ascii=False, separators=(",", ":"))
        timestamp = datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")
        params = urllib.parse.urlencode({
            "LOP-DN": DOMAIN, "app_key": self.app_key, "access_token": self.access_token, "timestamp": timestamp,
            "v": "2.0", "algorithm": "md5-salt",
            "sign": lop_sign(secret=self.app_secret, access_token=self.access_token, app_key=self.app_key,
                             method=path, param_json=body, timestamp=timestamp),
        })
        answer = post(self.base_url + path, body=body.encode("utf-8"), params_in_url=params,
                      content_type="application/json;charset=UTF-8", carrier_label=self.label)
        if not isinstance(answer, dict):
            raise CarrierError(_("京东物流接口返回了无法识别的数据。"))
        if "error_response" in answer:
            failure = answer["error_response"] or {}
            raise CarrierError(_("京东物流接口拒绝了请求：%(reason)s") % {
                "reason": failure.get("zh_desc") or failure.get("en_desc") or failure.get("code") or _("未知错误")})
        if str(answer.get("code")) != "0":
            raise CarrierError(_("京东物流：%(reason)s（%(code)s）") % {
                "reason": answer.get("msg") or _("请求失败"), "code": answer.get("code", "—")})
        return answer.get("data") or {}

    def create_waybill(self, shipment_request: ShipmentRequest) -> str:
        def contact(party):
            return {"name": (party.contact or party.name)[:50], "company": party.name[:100], "mobile": party.phone,
                    "fullAddress": party.full_address[:200]}

        data = self.call(CREATE_PATH, {
            "orderOrigin": 1, "customerCode": self.customer_code, "customerOrderId": shipment_request.reference,
            "senderContact": contact(shipment_request.sender), "receiverContact": contact(shipment_request.receiver),
            "cargoes": [{"name": shipment_request.cargo[:60], "quantity": shipment_request.packages}],
            "productsReq": {"productCode": "ed-m-0001"}, "settleType": 3,
        })
        number = str(data.get("waybillCode") or "").strip().upper()
        if not number:
            raise CarrierError(_("京东物流已接单但未返回运单号，请稍后在京东物流后台核对。"))
        return number

    def fetch_tracking(self, waybill_number, *, context=None) -> list[TrackingUpdate]:
        data = self.call(TRACE_PATH, {"waybillCode": waybill_number, "orderOrigin": 1,
                                      "customerCode": self.customer_code})
        updates = []
        for detail in data.get("traceDetails") or []:
            occurred_at = parse_carrier_time(detail.get("operationTime"))
            if occurred_at is None:
                continue
            title = str(detail.get("operationTitle") or "")
            remark = str(detail.get("operationRemark") or "") or title or "京东物流更新"
            location = detail.get("operationSiteName") or detail.get("operationCity") or ""
            updates.append(TrackingUpdate(kind=kind_for_title(title or remark),
                                          occurred_at=occurred_at, location=str(location)[:100],
                                          description=remark[:300]))
        return sorted(updates, key=lambda update: update.occurred_at)
