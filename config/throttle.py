"""Count attempts in the shared cache so a limit holds across every server process."""

import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _key(name: str, value: str) -> str:
    # Hashed: usernames and addresses don't sit in the cache table in clear, and any value
    # makes a valid cache key.
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"throttle:{name}:{digest}"


def client_address(request: HttpRequest) -> str:
    """The address a limit counts against, IPv6 by /64 (one network hands out a whole /64)."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.THROTTLE_TRUSTS_PROXY and forwarded:
        # Our proxy appends the peer it saw; anything left of that the client wrote itself.
        address = forwarded.rsplit(",", 1)[-1].strip()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


class RateLimit:
    """Attempts per signed-in user, per account named and per address, in RATE_LIMITS[name].

    Each limit is (attempts, seconds): a window starts at the first attempt and the attempt
    after the last allowed one is refused with 429 until the window ends. Refused attempts
    are not counted, so waiting always helps. "account" counts attempts on the account a
    signed-out request names (the username typed at sign-in), passed in as `account`.
    """

    def __init__(self, name: str, message: str):
        self.name, self.message = name, message

    def _limits(
        self, request: HttpRequest, account: str | None = None
    ) -> dict[str, tuple[int, int]]:
        """Cache key → (attempts, seconds) for every counter this request counts against."""
        limits = settings.RATE_LIMITS[self.name]
        keys = {}
        user = getattr(request, "user", None)
        if "user" in limits and user is not None and user.is_authenticated:
            keys[_key(f"{self.name}-user", str(user.pk))] = limits["user"]
        if "account" in limits and account is not None:
            keys[self._account_key(account)] = limits["account"]
        if "address" in limits:
            keys[_key(f"{self.name}-ip", client_address(request))] = limits["address"]
        return keys

    def _account_key(self, account: str) -> str:
        return _key(f"{self.name}-account", account)

    def _wait(self, limits: dict, counts: dict, now: float) -> int:
        """Seconds until the fullest counter lets an attempt through again (0: it may go)."""
        wait = 0
        for key, (attempts, _) in limits.items():
            count, ends = counts.get(key, (0, now))
            if ends > now and count >= attempts:
                wait = max(wait, math.ceil(ends - now))
        return wait

    def over(self, request: HttpRequest, account: str | None = None) -> HttpResponse | None:
        """The 429 answer if this request is over a limit; nothing is counted."""
        limits = self._limits(request, account)
        wait = self._wait(limits, cache.get_many(limits), time.time())
        return self.refuse(request, wait) if wait else None

    def count(self, request: HttpRequest, account: str | None = None) -> None:
        limits = self._limits(request, account)
        self._count(limits, cache.get_many(limits), time.time())

    def forget(self, account: str) -> None:
        """Start the account's count afresh (its owner proved who they are)."""
        cache.delete(self._account_key(account))

    def hit(self, request: HttpRequest) -> HttpResponse | None:
        """Count this attempt, or answer 429 (and count nothing) if it is over a limit."""
        limits = self._limits(request)
        counts, now = cache.get_many(limits), time.time()
        if wait := self._wait(limits, counts, now):
            return self.refuse(request, wait)
        self._count(limits, counts, now)
        return None

    def _count(self, limits: dict, counts: dict, now: float) -> None:
        # The window's end is stored with the count, so it never slides and a 429 can say
        # how long to wait. Read-then-write is not atomic: requests racing each other can
        # be counted once between them, which a limit for people, not packets, can afford.
        for key, (_, seconds) in limits.items():
            count, ends = counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + seconds
            cache.set(key, (count + 1, ends), math.ceil(ends - now))

    def refuse(self, request: HttpRequest, wait: int) -> HttpResponse:
        minutes = max(1, math.ceil(wait / 60))
        message = f"{self.message} Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        if request.headers.get("HX-Request"):
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        else:
            response = render(request, "429.html", {"message": message}, status=429)
        response["Retry-After"] = str(wait)
        return response


SIGNUP = RateLimit(
    "signup", "Too many sign-ups from your network just now, so no account was created."
)
ANNOTATE = RateLimit(
    "annotate", "You are adding highlights faster than Gloss allows, so this one was not saved."
)
REPLY = RateLimit(
    "reply", "You are posting replies faster than Gloss allows, so this one was not posted."
)
FLAG = RateLimit("flag", "You have flagged a lot in a short time, so this flag was not sent.")
JOIN_FAILURES = RateLimit(
    "join-failures",
    "Too many wrong join codes, so this one was not checked. Check the code with your teacher.",
)
SIGN_IN_FAILURES = RateLimit(
    "sign-in-failures",
    "Too many failed sign-in attempts, so this one was not checked. "
    "If you have forgotten your password, ask your teacher to reset it.",
)
