"""The JD and SF clients against a stub carrier on 127.0.0.1 (never the internet): requests are
signed as the carriers require, answers are mapped to our tracking kinds, and every failure
(refusal, bad signature, HTTP error, garbage, timeout, nobody listening) is a CarrierError."""

import base64
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from orders.carriers import CarrierError, Party, ShipmentRequest, carrier_for
from orders.carriers.jd import JdCarrier, lop_sign
from orders.carriers.sf import SfCarrier, msg_digest
from orders.models import TrackingEvent

K = TrackingEvent.Kind
SF_CHECKWORD = "sf-checkword-测试"
JD_SECRET, JD_KEY, JD_TOKEN = "jd-secret", "jd-app-key", "jd-token"

REQUEST = ShipmentRequest(
    reference="PO-20260301-0001",
    sender=Party(name="山东测试纸业有限公司", contact="王经理", phone="13800000001", province="山东省", city="济南"),
    receiver=Party(name="上海测试包装有限公司", contact="李经理", phone="13900001234", province="上海市", city="上海"),
    cargo="250g 白卡纸")


class StubCarrier:
    """A tiny carrier on a free local port. `answers` maps a service (SF serviceCode or JD path) to
    the JSON it returns; `received` keeps every request; a wrong signature gets the carrier's refusal."""

    def __init__(self):
        self.answers, self.received, self.delay, self.status = {}, [], 0, 200
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                url = urllib.parse.urlparse(self.path)
                answer = stub.answer(url.path, urllib.parse.parse_qs(url.query), body, self.headers)
                if stub.delay:
                    threading.Event().wait(stub.delay)
                raw = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(stub.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except BrokenPipeError:
                    pass  # the timeout test's client has hung up already, as intended

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path, query, body, headers):
        if path == "/sf":
            form = {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}
            self.received.append(form)
            if form.get("msgDigest") != msg_digest(form["msgData"], form["timestamp"], SF_CHECKWORD):
                return {"apiResultCode": "A1006", "apiErrorMsg": "数字签名无效", "apiResultData": None}
            return self.answers[form["serviceCode"]]
        params = {key: values[0] for key, values in query.items()}
        self.received.append({"path": path, "params": params, "body": body})
        expected = lop_sign(secret=JD_SECRET, access_token=params.get("access_token", ""),
                            app_key=params.get("app_key", ""), method=path, param_json=body,
                            timestamp=params.get("timestamp", ""))
        if params.get("sign") != expected or params.get("LOP-DN") != "ECAP":
            return {"code": 1000, "msg": "签名校验失败"}
        return self.answers[path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stub():
    server = StubCarrier()
    yield server
    server.close()


def sf(stub, checkword=SF_CHECKWORD):
    return SfCarrier({"base_url": f"{stub.url}/sf", "app_key": "PARTNER01", "app_secret": checkword,
                      "customer_code": "7551234567"})


def jd(stub, secret=JD_SECRET):
    return JdCarrier({"base_url": stub.url, "app_key": JD_KEY, "app_secret": secret, "access_token": JD_TOKEN,
                      "customer_code": "010K123456"})


def sf_ok(msg_data):
    return {"apiResultCode": "A1000", "apiErrorMsg": "", "apiResponseID": "X",
            "apiResultData": json.dumps({"success": True, "errorCode": "S0000", "errorMsg": None,
                                         "msgData": msg_data}, ensure_ascii=False)}


def test_sf_digest_is_base64_of_md5_of_the_url_encoded_text():
    digest = msg_digest('{"a":"纸 业"}', "1700000000000", "cw")
    text = urllib.parse.quote_plus('{"a":"纸 业"}1700000000000cw')
    assert digest == base64.b64encode(hashlib.md5(text.encode()).digest()).decode()


def test_sf_books_a_waybill_with_a_signed_request(stub):
    stub.answers["EXP_RECE_CREATE_ORDER"] = sf_ok({"orderId": REQUEST.reference, "waybillNoInfoList": [
        {"waybillType": 2, "waybillNo": "SF000000000001"}, {"waybillType": 1, "waybillNo": "sf1440001234567"}]})
    assert sf(stub).create_waybill(REQUEST) == "SF1440001234567"
    sent = stub.received[0]
    assert (sent["partnerID"], sent["serviceCode"]) == ("PARTNER01", "EXP_RECE_CREATE_ORDER")
    data = json.loads(sent["msgData"])
    assert data["orderId"] == REQUEST.reference and data["monthlyCard"] == "7551234567"
    assert [(c["contactType"], c["company"]) for c in data["contactInfoList"]] == [
        (1, "山东测试纸业有限公司"), (2, "上海测试包装有限公司")]


def test_sf_routes_are_mapped_to_tracking_kinds(stub):
    stub.answers["EXP_RECE_SEARCH_ROUTES"] = sf_ok({"routeResps": [{"mailNo": "SF1440001234567", "routes": [
        {"acceptTime": "2026-03-02 09:10:00", "acceptAddress": "上海市", "remark": "快件已签收", "opCode": "80"},
        {"acceptTime": "2026-03-01 10:00:00", "acceptAddress": "济南市", "remark": "顺丰速运 已收取快件",
         "opCode": "50"},
        {"acceptTime": "2026-03-01 20:00:00", "acceptAddress": "武汉市", "remark": "快件到达【武汉分拨中心】",
         "opCode": "31"},
        {"acceptTime": "2026-03-02 07:30:00", "acceptAddress": "上海市", "remark": "正在派送途中", "opCode": "44"},
        {"acceptTime": "not a time", "remark": "ignored", "opCode": "30"},
    ]}]})
    updates = sf(stub).fetch_tracking("SF1440001234567")
    assert [(u.kind, u.location, u.occurred_at.strftime("%m-%d %H:%M")) for u in updates] == [
        (K.PICKED_UP, "济南市", "03-01 10:00"), (K.IN_TRANSIT, "武汉市", "03-01 20:00"),
        (K.OUT_FOR_DELIVERY, "上海市", "03-02 07:30"), (K.DELIVERED, "上海市", "03-02 09:10")]
    assert str(updates[0].occurred_at.tzinfo) == "Asia/Shanghai"
    assert json.loads(stub.received[0]["msgData"])["trackingNumber"] == ["SF1440001234567"]


def test_sf_refusals_are_carrier_errors(stub):
    with pytest.raises(CarrierError, match="数字签名无效"):
        sf(stub, checkword="wrong").fetch_tracking("SF1440001234567")
    stub.answers["EXP_RECE_CREATE_ORDER"] = {"apiResultCode": "A1000", "apiResultData": json.dumps(
        {"success": False, "errorCode": "8016", "errorMsg": "重复下单"})}
    with pytest.raises(CarrierError, match="重复下单"):
        sf(stub).create_waybill(REQUEST)


def test_jd_books_a_waybill_with_a_signed_request(stub):
    stub.answers["/ecap/v1/orders/create"] = {"code": 0, "msg": "成功", "data": {"waybillCode": "JDVA01234567890"}}
    assert jd(stub).create_waybill(REQUEST) == "JDVA01234567890"
    sent = stub.received[0]
    assert sent["params"]["app_key"] == JD_KEY and sent["params"]["algorithm"] == "md5-salt"
    body = json.loads(sent["body"])
    assert body[0]["customerOrderId"] == REQUEST.reference and body[0]["customerCode"] == "010K123456"


def test_jd_trace_is_mapped_to_tracking_kinds(stub):
    stub.answers["/ecap/v1/orders/trace/query"] = {"code": 0, "data": {"traceDetails": [
        {"operationTime": "2026-03-01 10:00:00", "operationTitle": "揽收完成", "operationRemark": "京东快递已揽收",
         "operationSiteName": "济南营业部"},
        {"operationTime": 1772375400000, "operationTitle": "分拣中心发货",
         "operationRemark": "您的快件已从【武汉分拨中心】发出"},
        {"operationTime": "2026-03-02 08:00:00", "operationTitle": "配送员开始配送", "operationRemark": "派送中"},
        {"operationTime": "2026-03-02 09:00:00", "operationTitle": "拒收", "operationRemark": "客户拒收"},
        {"operationTime": "2026-03-02 11:00:00", "operationTitle": "妥投", "operationRemark": "已签收"},
    ]}}
    updates = jd(stub).fetch_tracking("JDVA01234567890")
    assert [u.kind for u in updates] == [K.PICKED_UP, K.IN_TRANSIT, K.OUT_FOR_DELIVERY, K.EXCEPTION, K.DELIVERED]
    assert updates[0].location == "济南营业部"
    assert json.loads(stub.received[0]["body"]) == [{"waybillCode": "JDVA01234567890", "orderOrigin": 1,
                                                     "customerCode": "010K123456"}]


def test_jd_refusals_are_carrier_errors(stub):
    with pytest.raises(CarrierError, match="签名校验失败"):
        jd(stub, secret="wrong").fetch_tracking("JDVA01234567890")
    stub.answers["/ecap/v1/orders/create"] = {"code": 0, "data": {}}
    with pytest.raises(CarrierError, match="未返回运单号"):
        jd(stub).create_waybill(REQUEST)


def test_http_errors_garbage_and_silence_are_carrier_errors(stub):
    stub.status = 503
    stub.answers["/ecap/v1/orders/trace/query"] = {"code": 0, "data": {}}
    with pytest.raises(CarrierError, match="HTTP 503"):
        jd(stub).fetch_tracking("JDVA01234567890")
    stub.status = 200
    stub.answers["/ecap/v1/orders/trace/query"] = b"<html>gateway</html>"
    with pytest.raises(CarrierError, match="无法识别"):
        jd(stub).fetch_tracking("JDVA01234567890")
    stub.answers["EXP_RECE_SEARCH_ROUTES"] = sf_ok({"routeResps": []})
    stub.delay = 1.5
    with override_settings(ORDERS_CARRIERS={"timeout": 0.3}), pytest.raises(CarrierError, match="超时"):
        sf(stub).fetch_tracking("SF1440001234567")
    stub.delay = 0
    closed = StubCarrier()
    url = closed.url
    closed.close()
    nobody = SfCarrier({"base_url": f"{url}/sf", "app_key": "P", "app_secret": "c"})
    with pytest.raises(CarrierError, match="无法连接"):
        nobody.fetch_tracking("SF1440001234567")


def test_live_backend_is_chosen_from_settings(stub):
    config = {"sf": {"backend": "live", "base_url": f"{stub.url}/sf", "app_key": "PARTNER01",
                     "app_secret": SF_CHECKWORD}, "jd": {"backend": "live", "base_url": stub.url, "app_key": JD_KEY,
                                                        "app_secret": JD_SECRET, "access_token": JD_TOKEN}}
    with override_settings(ORDERS_CARRIERS=config):
        assert isinstance(carrier_for("sf"), SfCarrier) and isinstance(carrier_for("jd"), JdCarrier)
