"""A tiny circuit breaker: after a failure, skip a dependency for a while instead of paying
its timeout on every request. Process-local on purpose: it only saves time, never state."""

import time


class Breaker:
    def __init__(self, name: str, cool_down_seconds: float):
        self.name = name
        self.cool_down_seconds = cool_down_seconds
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.cool_down_seconds

    def reset(self) -> None:
        self._open_until = 0.0
