"""Per-client request budgets: an in-process token bucket, applied to every request.

Each client has one bucket for reads (GET, HEAD, OPTIONS, and POST /search) and one for
writes, holding up to the per-minute limit and refilling continuously at limit/60 tokens a
second; a request takes one token. A client is its API key once that key has been seen to work in this process, and
its IP address otherwise; so made-up keys cannot buy fresh budgets, and a new key's very
first request is counted against its IP.

Why the request gateway and not a dependency: it sees every request, including 404s, bad JSON and
401s, and it refuses an over-budget client before its body is read or a database session
is opened. The auth dependency tells it (through the request scope's state) which key
checked out.

Responses carry the fields of draft-ietf-httpapi-ratelimit-headers-06: `RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset` (seconds until the bucket is full again) and
`RateLimit-Policy` (`<limit>;w=60`); a refused request is a 429 problem+json with
`Retry-After` (seconds until one token is back).

Limits are per process: with several uvicorn workers or replicas each keeps its own buckets,
so a client may get up to workers x limit. Memory is bounded: a bucket idle for a full
minute is full again, so it is dropped (it would be recreated identical), and beyond
`max_clients` buckets the least recently used go first.
"""

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse

from app.auth.service import key_id_of
from app.errors import problem_response

Clock = Callable[[], float]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WINDOW_SECONDS = 60.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers below, encoded for an ASGI `http.response.start` message."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={int(WINDOW_SECONDS)}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers


class RateLimiter:
    """Token buckets per (kind, client). `clock` is replaceable so tests need not sleep."""

    def __init__(
        self,
        *,
        reads_per_minute: int,
        writes_per_minute: int,
        max_clients: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limits = {"read": reads_per_minute, "write": writes_per_minute}
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._known_keys: OrderedDict[str, None] = OrderedDict()
        # The gateway runs on the event loop, but the lock keeps direct callers honest.
        self._lock = threading.Lock()

    def limit_for(self, kind: str) -> int:
        return self.limits[kind]

    def hit(self, kind: str, client: str) -> Decision:
        """Take one token from `client`'s `kind` bucket, if there is one to take."""
        limit = self.limits[kind]
        rate = limit / WINDOW_SECONDS
        with self._lock:
            now = self.clock()
            bucket = self._buckets.pop((kind, client), None)
            if bucket is None:
                bucket = _Bucket(tokens=float(limit), updated=now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(limit), bucket.tokens + elapsed * rate)
                bucket.updated = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            self._buckets[(kind, client)] = bucket
            self._evict(now)
        return Decision(
            allowed=allowed,
            limit=limit,
            remaining=math.floor(bucket.tokens),
            reset_seconds=math.ceil((limit - bucket.tokens) / rate),
            retry_after_seconds=0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / rate)),
        )

    def _evict(self, now: float) -> None:
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            idle = now - oldest.updated >= WINDOW_SECONDS
            if not idle and len(self._buckets) <= self.max_clients:
                break
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)

    def remember_key(self, key_id: str) -> None:
        with self._lock:
            self._known_keys.pop(key_id, None)
            self._known_keys[key_id] = None
            while len(self._known_keys) > self.max_clients:
                self._known_keys.popitem(last=False)

    def forget_key(self, key_id: str) -> None:
        with self._lock:
            self._known_keys.pop(key_id, None)

    def knows_key(self, key_id: str) -> bool:
        return key_id in self._known_keys


def presented_key_id(authorization: bytes, api_key: bytes) -> str | None:
    """The id of the key a request presents (Authorization: Bearer, else X-API-Key)."""
    given = authorization.decode("latin-1").strip()
    if given:
        scheme, _, value = given.partition(" ")
        return key_id_of(value.strip()) if scheme.lower() == "bearer" else None
    return key_id_of(api_key.decode("latin-1").strip())


class RateLimitRules:
    """Which requests `limiter` counts, and how (read or write, by key or address).

    Applied by the request gateway (app/middleware.py) to every HTTP request outside
    `exempt_paths`; this class only decides, it sends nothing.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        exempt_paths: frozenset[str] = frozenset({"/metrics", "/health", "/ready"}),
        read_posts: frozenset[str] = frozenset({"/search"}),
    ) -> None:
        self.limiter = limiter
        self.exempt_paths = exempt_paths
        # POST routes that only read (a search with its parameters in the body).
        self.read_posts = read_posts

    def kind_of(self, method: str, path: str) -> str | None:
        """ "read" or "write", or None when the request is not limited at all."""
        if path in self.exempt_paths:
            return None
        reads = method in READ_METHODS or (method == "POST" and path in self.read_posts)
        kind = "read" if reads else "write"
        return kind if self.limiter.limit_for(kind) else None

    def client(self, key_id: str | None, peer: tuple[str, int] | None) -> str:
        if key_id is not None and self.limiter.knows_key(key_id):
            return f"key:{key_id}"
        return f"ip:{peer[0] if peer else 'unknown'}"

    def settle(self, verified: str | None, presented: str | None, status: int) -> None:
        """After the answer: remember a key that checked out, forget one that did not."""
        if verified is not None:
            self.limiter.remember_key(verified)
        elif presented is not None and status == 401:
            self.limiter.forget_key(presented)


def refused(kind: str, decision: Decision) -> JSONResponse:
    """The 429 problem+json for a request over its budget."""
    return problem_response(
        429,
        f"Too many {kind}s: the limit is {decision.limit} a minute; "
        f"retry in {decision.retry_after_seconds} s.",
        slug="rate-limited",
        headers=decision.headers(),
    )
