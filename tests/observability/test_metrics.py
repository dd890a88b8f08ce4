"""``/metrics``: off by default, only for allowed clients, Prometheus text with the
request histogram by endpoint, Socket.IO counts, search lag and job numbers; and in
multi-process mode the sum of every process's files."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.core.db import utcnow
from app.extensions import socketio
from app.observability import metrics
from tests.factories import browser_session_id, make_user

ROOT = Path(__file__).resolve().parents[2]
ENABLED = pytest.mark.app_config(METRICS_ENABLED=True)


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return _samples(response.get_data(as_text=True))


def _count(endpoint: str, cache: str = "none") -> float:
    labels = {"endpoint": endpoint, "cache": cache}
    return REGISTRY.get_sample_value("guildhall_http_request_duration_seconds_count", labels) or 0.0


def test_metrics_is_not_there_when_disabled(client):
    assert client.get("/metrics").status_code == 404


@ENABLED
def test_requests_are_counted_by_endpoint_never_by_path(client, db):
    before = _count("healthz")
    for _ in range(3):
        client.get("/healthz").get_data()
    client.get("/no-such-page-12345").get_data()
    samples = _scrape(client)
    key = ("guildhall_http_request_duration_seconds_count", (("cache", "none"), ("endpoint", "healthz")))
    assert samples[key] == before + 3
    assert any(
        name.endswith("_bucket") and dict(labels).get("endpoint") == "healthz" for name, labels in samples
    )
    assert not any("no-such-page" in str(labels) for _, labels in samples)
    assert _count("unmatched") >= 1


@ENABLED
@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_cached_pages_are_labelled_as_cache_hits(client, db):
    before = _count("pagecache", "hit")
    client.get("/").get_data()
    hit = client.get("/")
    hit.get_data()
    assert hit.headers["X-Page-Cache"] == "hit"
    assert _count("pagecache", "hit") == before + 1


@ENABLED
@pytest.mark.parametrize(
    "environ",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        {"REMOTE_ADDR": "10.1.2.3"},
        {"REMOTE_ADDR": "not an address"},
        # Through a proxy on this host every client looks like loopback.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
    ],
)
def test_clients_outside_the_allow_list_get_404(client, environ):
    assert client.get("/metrics", environ_base=environ).status_code == 404


@pytest.mark.app_config(METRICS_ENABLED=True, METRICS_ALLOW=["10.0.0.0/8"])
def test_the_allow_list_is_configurable(client, db):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_a_bad_allow_list_stops_start_up(tmp_path):
    with pytest.raises(RuntimeError, match="METRICS_ALLOW"):
        create_app(
            "testing", instance_path=str(tmp_path), METRICS_ENABLED=True, METRICS_ALLOW=["10.0.0.0/33"]
        )


@ENABLED
def test_search_lag_is_read_from_the_pending_queue(client, db):
    table = db.metadata.tables["search_pending"]
    db.session.execute(sa.insert(table).values(key="topic:1", created_at=utcnow() - timedelta(minutes=5)))
    db.session.execute(sa.insert(table).values(key="topic:2", created_at=utcnow()))
    db.session.commit()
    samples = _scrape(client)
    assert samples[("guildhall_search_pending_documents", ())] == 2
    assert samples[("guildhall_search_pending_oldest_seconds", ())] >= 290
    assert samples[("guildhall_metrics_source_up", (("source", "search"),))] == 1


@ENABLED
def test_job_numbers_come_from_the_job_runs_by_default(client, db):
    samples = _scrape(client)
    assert samples[("guildhall_jobs", (("state", "pending"),))] == 0
    assert samples[("guildhall_jobs", (("state", "failed"),))] == 0
    assert samples[("guildhall_metrics_source_up", (("source", "jobs"),))] == 1


@ENABLED
def test_job_numbers_come_from_the_configured_source(app: Flask, client, db):
    metrics.set_job_stats_source(app, lambda: {"pending": 3, "failed": 1, "label": "ignored"})
    samples = _scrape(client)
    assert samples[("guildhall_jobs", (("state", "pending"),))] == 3
    assert samples[("guildhall_jobs", (("state", "failed"),))] == 1


@ENABLED
def test_a_failing_source_is_reported_and_the_scrape_still_answers(app: Flask, client, db):
    def broken() -> dict:
        raise RuntimeError("database gone")

    metrics.set_job_stats_source(app, broken)
    samples = _scrape(client)
    assert samples[("guildhall_metrics_source_up", (("source", "jobs"),))] == 0
    assert ("guildhall_jobs", (("state", "pending"),)) not in samples


@ENABLED
def test_socketio_connections_and_events_are_counted(app: Flask, db):
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    user = make_user()
    db.session.commit()
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = browser_session_id(user)
    connections = value("guildhall_socketio_connections", namespace="/chat")
    presence = value("guildhall_socketio_events_total", namespace="/chat", event="presence")
    unknown = value("guildhall_socketio_events_total", namespace="/chat", event="unknown")

    sio = socketio.test_client(app, namespace="/chat", flask_test_client=http)
    assert sio.is_connected("/chat")
    assert value("guildhall_socketio_connections", namespace="/chat") == connections + 1
    sio.emit("presence", {"channel_id": 999999}, namespace="/chat", callback=True)
    sio.emit("no-such-event-xyz", {}, namespace="/chat", callback=True)
    assert value("guildhall_socketio_events_total", namespace="/chat", event="presence") == presence + 1
    assert value("guildhall_socketio_events_total", namespace="/chat", event="unknown") == unknown + 1
    sio.disconnect("/chat")
    assert value("guildhall_socketio_connections", namespace="/chat") == connections


@ENABLED
def test_a_refused_socket_is_not_counted(app: Flask, db):
    before = REGISTRY.get_sample_value("guildhall_socketio_connections", {"namespace": "/chat"}) or 0.0
    sio = socketio.test_client(app, namespace="/chat", flask_test_client=app.test_client())
    assert not sio.is_connected("/chat")  # a visitor may not use chat
    assert (
        REGISTRY.get_sample_value("guildhall_socketio_connections", {"namespace": "/chat"}) or 0.0
    ) == before


# --- multi-process mode ------------------------------------------------------------------

CHILD = """
import os
from app.observability import metrics
metrics.observe_request("forums.latest", "GET", 200, "none", 0.02)
metrics.SOCKETIO_CONNECTIONS.labels("/chat").inc()
print(os.getpid())
"""


def _child(folder: Path) -> int:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


@ENABLED
def test_multiprocess_mode_sums_every_process_and_forgets_dead_ones_live_gauges(
    client, db, tmp_path, monkeypatch
):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    first, second = _child(folder), _child(folder)
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(folder))

    samples = _scrape(client)
    latency = (
        "guildhall_http_request_duration_seconds_count",
        (("cache", "none"), ("endpoint", "forums.latest")),
    )
    requests = (
        "guildhall_http_requests_total",
        (("endpoint", "forums.latest"), ("method", "GET"), ("status", "2xx")),
    )
    assert samples[latency] == 2 and samples[requests] == 2
    assert samples[("guildhall_socketio_connections", (("namespace", "/chat"),))] == 2

    metrics.mark_process_dead(first)
    samples = _scrape(client)
    assert samples[("guildhall_socketio_connections", (("namespace", "/chat"),))] == 1
    assert samples[latency] == 2  # counts of a finished process still count
    assert second != first


def test_the_scrape_answers_while_the_database_is_down(tmp_path):
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-folder' / 'g.sqlite'}",
        METRICS_ENABLED=True,
    )
    samples = _scrape(application.test_client())
    assert samples[("guildhall_metrics_source_up", (("source", "search"),))] == 0
    assert samples[("guildhall_metrics_source_up", (("source", "jobs"),))] == 0
