from __future__ import annotations

import pytest

from jobs.tests.receiver import Receiver


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1; set ``receiver.replies`` to script it."""
    with Receiver() as server:
        yield server
