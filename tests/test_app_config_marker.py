"""The ``app_config`` marker: the closest one wins, as markers do everywhere in pytest."""

import pytest

pytestmark = pytest.mark.app_config(MARKER_PROBE="module", MARKER_MODULE_ONLY="kept")


def test_the_module_marker_applies(app):
    assert app.config["MARKER_PROBE"] == "module"


@pytest.mark.app_config(MARKER_PROBE="test")
def test_a_test_s_own_marker_overrides_the_module_s(app):
    assert app.config["MARKER_PROBE"] == "test"
    assert app.config["MARKER_MODULE_ONLY"] == "kept"  # keys it does not name stay
