"""``TRUSTED_PROXIES``: behind nginx the app sees each visitor's address, not nginx's;
without it, a forged ``X-Forwarded-For`` changes nothing."""

from __future__ import annotations

from flask import Flask, request

from app import create_app


def _app(**config: object) -> Flask:
    app = create_app("testing", **config)

    @app.get("/test-client-address")
    def client_address() -> dict:
        return {"address": request.remote_addr, "scheme": request.scheme}

    return app


def _seen(app: Flask, headers: dict) -> dict:
    response = app.test_client().get(
        "/test-client-address", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    return response.get_json()


def test_behind_one_proxy_the_app_sees_the_address_and_scheme_it_forwarded():
    app = _app(TRUSTED_PROXIES=1)
    seen = _seen(app, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"address": "203.0.113.7", "scheme": "https"}


def test_only_the_hop_the_proxy_added_is_believed():
    app = _app(TRUSTED_PROXIES=1)
    # The visitor sent "X-Forwarded-For: 10.0.0.1"; nginx appended the real address.
    seen = _seen(app, {"X-Forwarded-For": "10.0.0.1, 203.0.113.7"})
    assert seen["address"] == "203.0.113.7"


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    seen = _seen(_app(), {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"address": "127.0.0.1", "scheme": "http"}
