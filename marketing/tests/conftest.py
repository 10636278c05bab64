from __future__ import annotations

import pytest

from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory


@pytest.fixture
def make_channel(workspace):
    def make(**fields):
        fields.setdefault("workspace", workspace)
        return ChannelAccountFactory(**fields)

    return make


@pytest.fixture
def make_content(workspace):
    def make(**fields):
        fields.setdefault("workspace", workspace)
        return ContentItemFactory(**fields)

    return make


@pytest.fixture
def channels(make_channel):
    """Three daily channels, in the order a staggered wave uses them."""
    return [make_channel(name=f"Channel {letter}") for letter in "ABC"]


@pytest.fixture
def video(make_content):
    return make_content(title="Launch video")


@pytest.fixture(autouse=True)
def _generous_throttles(settings):
    # These tests make many writes in one test; the limits have their own tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "create": "10000/minute",
            "list": "10000/minute",
            "get": "10000/minute",
        },
    }
