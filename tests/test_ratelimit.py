"""Rate limits: the token bucket on plain data, then the middleware through the app."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service
from app.auth.models import Scope
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_bucket_allows_the_limit_then_refuses_then_refills(clock: FakeClock) -> None:
    limiter = RateLimiter(reads_per_minute=3, writes_per_minute=1, clock=clock)
    decisions = [limiter.hit("read", "ip:a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].limit == 3
    assert decisions[0].reset_seconds == 20  # one token back every 20 s
    assert decisions[2].reset_seconds == 60
    assert decisions[3].retry_after_seconds == 20
    assert decisions[3].headers()["Retry-After"] == "20"
    assert "Retry-After" not in decisions[0].headers()

    clock.advance(19)
    assert not limiter.hit("read", "ip:a").allowed
    clock.advance(1)
    refilled = limiter.hit("read", "ip:a")
    assert refilled.allowed and refilled.remaining == 0


def test_reads_writes_and_clients_have_separate_budgets(clock: FakeClock) -> None:
    limiter = RateLimiter(reads_per_minute=1, writes_per_minute=1, clock=clock)
    assert limiter.hit("write", "ip:a").allowed
    assert not limiter.hit("write", "ip:a").allowed
    assert limiter.hit("read", "ip:a").allowed
    assert limiter.hit("write", "ip:b").allowed
    assert limiter.hit("write", "key:0123456789ab").allowed


def test_idle_buckets_are_evicted_and_memory_is_capped(clock: FakeClock) -> None:
    limiter = RateLimiter(reads_per_minute=10, writes_per_minute=10, max_clients=3, clock=clock)
    for client in ("a", "b"):
        limiter.hit("read", client)
    assert len(limiter) == 2
    clock.advance(60)  # both are full again: forgetting them changes nothing
    limiter.hit("read", "c")
    assert len(limiter) == 1
    for client in ("d", "e", "f", "g"):
        limiter.hit("read", client)
    assert len(limiter) == 3


def test_policy_header_names_the_window(clock: FakeClock) -> None:
    limiter = RateLimiter(reads_per_minute=600, writes_per_minute=120, clock=clock)
    headers = limiter.hit("write", "ip:a").headers()
    assert headers == {
        "RateLimit-Limit": "120",
        "RateLimit-Remaining": "119",
        "RateLimit-Reset": "1",
        "RateLimit-Policy": "120;w=60",
    }


@pytest.fixture
def limited(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    small = settings.model_copy(
        update={"RATE_LIMIT_READS_PER_MINUTE": 3, "RATE_LIMIT_WRITES_PER_MINUTE": 2}
    )
    app = create_app(small)
    app.state.rate_limiter.clock = clock
    with TestClient(app) as client:
        yield client


def new_key(settings: Settings, name: str) -> str:
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        plaintext = service.create(session=session, name=name, scope=Scope.write).plaintext
    engine.dispose()
    return plaintext


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_over_the_limit_is_429_problem_with_retry_after(
    limited: TestClient, clock: FakeClock
) -> None:
    statuses = []
    for _ in range(3):
        response = limited.get("/articles")
        statuses.append(response.status_code)
        assert response.headers["ratelimit-limit"] == "3"
    assert statuses == [200, 200, 200]
    assert response.headers["ratelimit-remaining"] == "0"
    refused = limited.get("/articles/1")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["x-request-id"]
    assert refused.json()["type"].endswith("/rate-limited")
    # Health probes and metrics scrapes are never limited.
    assert limited.get("/health").status_code == 200
    assert limited.get("/metrics").status_code == 200
    clock.advance(20)
    assert limited.get("/articles").status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_working_key_gets_its_own_budget_and_made_up_keys_do_not(
    limited: TestClient, settings: Settings
) -> None:
    key = {"X-API-Key": new_key(settings, "loader")}
    # The first request with a new key is counted against the IP; then the key has its own.
    assert (
        limited.post("/articles", json={"title": "t", "body": "b"}, headers=key).status_code == 201
    )
    assert limited.post("/articles", json={"title": "u", "body": "c"}).status_code == 401
    assert limited.post("/articles", json={"title": "v", "body": "d"}).status_code == 429
    for n in range(2):
        response = limited.post("/articles", json={"title": f"k{n}", "body": "e"}, headers=key)
        assert response.status_code == 201, response.text
    assert (
        limited.post("/articles", json={"title": "k", "body": "e"}, headers=key).status_code == 429
    )
    forged = {"X-API-Key": "na_0123456789ab_" + "x" * 43}
    assert (
        limited.post("/articles", json={"title": "f", "body": "f"}, headers=forged).status_code
        == 429
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_zero_turns_a_limit_off(settings: Settings) -> None:
    off = settings.model_copy(update={"RATE_LIMIT_READS_PER_MINUTE": 0})
    with TestClient(create_app(off)) as client:
        for _ in range(5):
            response = client.get("/articles")
            assert response.status_code == 200
            assert "ratelimit-limit" not in response.headers
