"""Fixtures of the notification tests: a gateway that fails on demand."""

import pytest

from yichuang.notifications.backends import DeliveryError


class FlakyGateway:
    """Fails the first `failures` sends (None: always), then takes every message; records what it took."""

    def __init__(self, failures: int | None = 0):
        self.failures = failures
        self.calls = 0
        self.sent: list[int] = []

    def send(self, message) -> None:
        self.calls += 1
        if self.failures is None or self.calls <= self.failures:
            raise DeliveryError("gateway answered HTTP 503")
        self.sent.append(message.pk)


@pytest.fixture
def gateway():
    return FlakyGateway()
