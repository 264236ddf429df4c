"""Count failures in the shared cache so a limit holds across every server process."""

import hashlib

from django.core.cache import cache


class FailureThrottle:
    """At most `limit` failures per key within `window` seconds of the first one."""

    def __init__(self, name: str, limit: int, window: int):
        self.name, self.limit, self.window = name, limit, window

    def _key(self, value: str) -> str:
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"throttle:{self.name}:{digest}"

    def blocked(self, value: str) -> bool:
        return cache.get(self._key(value), 0) >= self.limit

    def fail(self, value: str) -> None:
        key = self._key(value)
        # add() starts the window only on the first failure; later failures don't extend it.
        if not cache.add(key, 1, self.window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, self.window)

    def reset(self, value: str) -> None:
        cache.delete(self._key(value))
