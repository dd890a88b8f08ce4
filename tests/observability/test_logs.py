"""Request log lines: one per request, with id, user, method, path, endpoint, status and
duration; as JSON, one object per line."""

from __future__ import annotations

import io
import json
import logging
import os
import sys

import pytest
from flask import Flask

from app import create_app
from app.observability import logs
from app.observability.middleware import REQUEST_LOGGER
from tests.factories import make_user


def _request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


def test_each_request_logs_one_line_with_its_fields(client, db, login_as, caplog):
    member = make_user()
    db.session.commit()
    login_as(member)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    response = client.get("/", headers={"X-Request-ID": "log-fields-1"})
    response.get_data()
    (record,) = _request_records(caplog)
    assert record.request_id == "log-fields-1"
    assert record.user_id == member.id
    assert (record.method, record.path, record.endpoint) == ("GET", "/", "forums.latest")
    assert record.status == 200
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0


def test_a_visitor_has_no_user_id_and_an_unknown_path_no_endpoint(client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    client.get("/no-such-page").get_data()
    (record,) = _request_records(caplog)
    assert record.user_id is None
    assert record.endpoint == "unmatched" and record.status == 404


def test_the_json_line_is_one_object_with_every_field(client, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    path = "/no-such-page\nFAKE LINE"
    client.get("/", environ_overrides={"PATH_INFO": path}).get_data()
    (record,) = _request_records(caplog)
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["path"] == path
    for field in (
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "method",
        "endpoint",
        "status",
    ):
        assert field in entry
    assert entry["logger"] == REQUEST_LOGGER and entry["level"] == "INFO"
    assert "\n" not in entry["message"]


def test_records_logged_inside_a_request_carry_its_id(app: Flask, client):
    stream = io.StringIO()
    handler = logs.make_handler("json", stream)
    logger = logging.getLogger("guildhall.test.inside")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def view() -> str:
        logger.info("inside the view")
        return "ok"

    app.add_url_rule("/_log_inside", "log_inside", view)
    try:
        client.get("/_log_inside", headers={"X-Request-ID": "inside-1"}).get_data()
        logger.info("after the request")
    finally:
        logger.removeHandler(handler)
    inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "inside-1" and inside["message"] == "inside the view"
    assert "request_id" not in after


def test_an_exception_is_one_json_string():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, exc_info=sys.exc_info())
    entry = json.loads(logs.JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exception"]


def test_log_format_json_routes_the_root_logger_through_one_json_handler(tmp_path):
    root = logging.getLogger()
    level = root.level
    try:
        for _ in range(2):  # idempotent: a second call replaces the handler
            application = create_app(
                "testing", instance_path=str(tmp_path), LOG_FORMAT="json", LOG_LEVEL="WARNING"
            )
            logs.configure_logging(application)
        ours = [h for h in root.handlers if getattr(h, "guildhall_log_handler", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, logs.JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        for handler in [h for h in root.handlers if getattr(h, "guildhall_log_handler", False)]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_building_an_app_leaves_the_process_logging_alone(tmp_path):
    """Only the process entry point (wsgi.py) sets logging up: a production app built
    by a test or a script must not change the root logger under its feet."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    create_app("testing", instance_path=str(tmp_path), LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    assert root.handlers == handlers and root.level == level


def test_an_unknown_log_format_stops_start_up(tmp_path):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app("testing", instance_path=str(tmp_path), LOG_FORMAT="xml")


def test_production_logs_json_and_development_leaves_logging_alone():
    from config import DevelopmentConfig, ProductionConfig

    if "LOG_FORMAT" in os.environ:
        pytest.skip("LOG_FORMAT is set in this environment")
    assert ProductionConfig.LOG_FORMAT == "json"
    assert DevelopmentConfig.LOG_FORMAT == ""


def test_a_websocket_handed_over_to_its_socket_logs_101_not_500(caplog):
    """simple-websocket answers the upgrade on the raw socket and never calls
    ``start_response``: behind gunicorn that is a normal, closed WebSocket."""
    from app.observability.middleware import RequestObserver

    def handed_over(environ, start_response):
        return []

    observer = RequestObserver(handed_over, log_requests=True, record_metrics=False)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "HTTP_UPGRADE": "websocket"}
    body = observer(environ, lambda *args: None)
    list(body)
    body.close()
    (record,) = _request_records(caplog)
    assert record.status == 101 and record.endpoint == "socketio"
