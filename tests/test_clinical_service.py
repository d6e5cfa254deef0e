"""The CDS Hooks service against a real uvicorn server on 127.0.0.1, with httpx."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import httpx
import pytest
from clinical_fixtures import synthetic_checkpoint

pytest.importorskip("pypgx")
uvicorn = pytest.importorskip("uvicorn")

from pgxdl.clinical.predict import predict_people  # noqa: E402
from pgxdl.clinical.service.app import create_app  # noqa: E402
from pgxdl.clinical.synthetic import AS_OF, hook_request  # noqa: E402

WARFARIN = "pgxdl-warfarin-order-select"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("service")
    paths, tiny = synthetic_checkpoint(folder)
    app = create_app([tiny.checkpoint], as_of=AS_OF)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    bundle = json.loads(paths["bundle"].read_text())
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client, bundle, paths, tiny
    running.should_exit = True
    thread.join(timeout=10)


def test_discovery_lists_four_services_with_prefetch(server):
    client, *_ = server
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert set(services) == {"pgxdl-warfarin-order-select", "pgxdl-warfarin-order-sign",
                             "pgxdl-antidepressant-order-select",
                             "pgxdl-antidepressant-order-sign"}
    assert services[WARFARIN]["hook"] == "order-select"
    assert set(services[WARFARIN]["prefetch"]) == {"patient", "observations", "medications"}


def test_warfarin_card_carries_the_predicted_dose(server):
    client, bundle, paths, tiny = server
    response = client.post(f"/cds-services/{WARFARIN}",
                           json=hook_request(bundle, "NEW0000", "warfarin"))
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    expected = predict_people([tiny.checkpoint], paths["bundle"], as_of=AS_OF).table
    dose = expected.set_index("id").loc["NEW0000"]
    assert f"predicted {dose['dose.pred']:.1f} mg/week" in card["summary"]
    assert f"(90% {dose['dose.low']:.0f}-{dose['dose.high']:.0f})" in card["summary"]
    assert len(card["summary"]) <= 140
    assert card["indicator"] == "warning"  # the bundle has no site: imputed
    assert "not given, read as missing: site" in card["detail"]
    assert "CPIC warfarin guideline" in card["detail"]
    assert card["source"]["url"].startswith("https://cpicpgx.org/")


def test_antidepressant_card_follows_cpic(server):
    client, bundle, *_ = server
    patient = next(e["resource"]["subject"]["reference"].split("/")[1]
                   for e in bundle["entry"]
                   if e["resource"].get("valueString", "").startswith("CYP2C19 *2/*2"))
    response = client.post("/cds-services/pgxdl-antidepressant-order-sign",
                           json=hook_request(bundle, patient, "citalopram", "order-sign"))
    (card,) = response.json()["cards"]
    assert card["summary"] == "Citalopram: CYP2C19 Poor Metabolizer"
    assert "50% reduction" in card["detail"] and card["indicator"] == "warning"


def test_missing_prefetch_gives_a_card_not_an_error(server):
    client, bundle, *_ = server
    request = hook_request(bundle, "NEW0000", "warfarin")
    del request["prefetch"]["observations"]
    response = client.post(f"/cds-services/{WARFARIN}", json=request)
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert "missing observations" in card["summary"] and card["indicator"] == "warning"


def test_other_drugs_get_no_card(server):
    client, bundle, *_ = server
    response = client.post(f"/cds-services/{WARFARIN}",
                           json=hook_request(bundle, "NEW0000", "aspirin"))
    assert response.status_code == 200 and response.json() == {"cards": []}


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"hook": "order-select", "context": {}}).encode(), "lacks 'hookInstance'"),
    (json.dumps({"hook": "patient-view", "hookInstance": "x", "context": {}}).encode(),
     "answers hook 'order-select'"),
])
def test_malformed_requests_are_400_with_the_reason(server, body, reason):
    client, *_ = server
    response = client.post(f"/cds-services/{WARFARIN}", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and reason in response.json()["error"]


def test_unknown_service_is_404(server):
    client, bundle, *_ = server
    response = client.post("/cds-services/nope", json=hook_request(bundle, "NEW0000",
                                                                    "warfarin"))
    assert response.status_code == 404 and "unknown service" in response.json()["error"]


def test_server_logs_hold_no_patient_data(server, caplog):
    client, bundle, *_ = server
    with caplog.at_level(logging.DEBUG):
        client.post(f"/cds-services/{WARFARIN}", json=hook_request(bundle, "NEW0001",
                                                                   "warfarin"))
    assert "service=pgxdl-warfarin-order-select status=200" in caplog.text
    assert "NEW0001" not in caplog.text and "rs9923231" not in caplog.text
