"""Every response carries an ``X-Request-ID``: the client's own when it is a sane id,
else a fresh one; cached pages too."""

from __future__ import annotations

import re

import pytest

from app.observability import request_ids

FRESH = re.compile(r"[0-9a-f]{32}")


def _id(response) -> str:
    response.get_data()  # the body read to its end, as a server would
    return response.headers["X-Request-ID"]


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first, second = _id(client.get("/healthz")), _id(client.get("/healthz"))
    assert FRESH.fullmatch(first) and FRESH.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "incoming",
    ["4f3c2a1e-9b7d-4c1a-8e2f-0a1b2c3d4e5f", "0123456789abcdef0123456789abcdef", "Root=1-5759e988-bd862e3f"],
)
def test_an_incoming_id_is_echoed(client, incoming):
    assert _id(client.get("/healthz", headers={"X-Request-ID": incoming})) == incoming


@pytest.mark.parametrize(
    "hostile_id",
    [
        "",
        "a" * (request_ids.MAX_LENGTH + 1),
        "id with spaces",
        "x\r\nSet-Cookie: a=b",
        "id;drop",
        '"quoted"',
        "é",
    ],
)
def test_an_unsafe_incoming_id_is_replaced(client, hostile_id):
    answered = _id(client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": hostile_id}))
    assert FRESH.fullmatch(answered)


def test_naughty_strings_never_come_back_unless_they_are_safe_ids(client, hostile):
    from tests.hostile import naughty_strings

    for value in naughty_strings():
        answered = _id(client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": value}))
        if request_ids.is_valid(value):
            assert answered == value
        else:
            assert FRESH.fullmatch(answered), value


def test_an_error_response_carries_the_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404 and _id(response) == "trace-404"


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_a_page_served_by_the_cache_before_flask_gets_its_own_id(client, db):
    first = client.get("/")
    assert first.headers["X-Page-Cache"] == "miss"
    first_id = _id(first)
    cached = client.get("/", headers={"X-Request-ID": "cached-page-1"})
    assert cached.headers["X-Page-Cache"] == "hit"
    assert _id(cached) == "cached-page-1"
    again = client.get("/")
    assert again.headers["X-Page-Cache"] == "hit"
    assert FRESH.fullmatch(_id(again)) and _id(again) not in (first_id, "cached-page-1")
    assert again.headers.getlist("X-Request-ID") == [_id(again)]  # never the stored one as well
