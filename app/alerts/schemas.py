"""The /saved-searches contract: what a client sends and what it gets back."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from app.field_types import Text
from app.search.schemas import JsonBool, SearchBody

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200
MAX_NAME_LENGTH = 200
#: An http(s) URL with no space or control character (targets.check_on_create says the rest).
WEBHOOK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\u0000-\u0020\u007f]+$"
#: A new saved search needs a webhook, `feed: true`, or both.
_DELIVERY_REQUIRED: list[JsonValue] = [
    {"required": ["webhook"], "properties": {"webhook": {"type": "object"}}},
    {"required": ["feed"], "properties": {"feed": {"const": True}}},
]

_EXAMPLE_SEARCH: dict[str, JsonValue] = {"q": "harbour bridge", "source": ["Example Gazette"]}
_WEBHOOK_EXAMPLE: dict[str, JsonValue] = {
    "url": "https://hooks.example.org/newsarchive",
    "secret": "s3cret-long-enough-1234",
}


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


class WebhookIn(BaseModel):
    """Where to POST each match, and the secret its signature is keyed with."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2048,
        # Stated in the schema only: the server's own check says what is wrong in words.
        json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
        description="http(s) URL with a public address (private ones only if the server "
        "allows), without credentials.",
    )
    secret: str = Field(
        min_length=MIN_SECRET_LENGTH,
        max_length=MAX_SECRET_LENGTH,
        description="HMAC-SHA256 key for X-Newsarchive-Signature; never shown back.",
    )


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Harbour bridge",
                    "search": _EXAMPLE_SEARCH,
                    "webhook": _WEBHOOK_EXAMPLE,
                    "feed": True,
                },
                {"name": "Watch OPEC", "search": {"entity": ["opec"]}, "feed": True},
            ],
            "anyOf": _DELIVERY_REQUIRED,
        },
    )

    name: Annotated[str, Text(max_length=MAX_NAME_LENGTH)]
    search: SearchBody = Field(
        description="The /search parameters (all but `cursor`); matching uses the query and "
        "filters, `highlight_pre_tag`/`highlight_post_tag`/`crop_length` shape the highlights."
    )
    webhook: WebhookIn | None = None
    feed: JsonBool = Field(default=False, description="Publish matches as an Atom feed.")
    active: JsonBool = Field(default=True, description="Paused searches match nothing new.")

    _check_name = field_validator("name")(_name)


#: `feed: false` with `rotate_feed_token: true`, which no edit may combine.
FEED_OFF_AND_ROTATED: dict[str, Any] = {
    "required": ["feed", "rotate_feed_token"],
    "properties": {"feed": {"const": False}, "rotate_feed_token": {"const": True}},
}


def _offer_null_for_the_webhook_only(schema: dict[str, Any]) -> None:
    for name, field in schema["properties"].items():
        variants = field.get("anyOf", [])
        if name != "webhook" and {"type": "null"} in variants:
            (kept,) = [variant for variant in variants if variant != {"type": "null"}]
            del field["anyOf"]
            field.update(kept)
    schema["examples"] = [
        {"name": "Bridge and ferry", "search": {"q": "bridge ferry"}},
        {"webhook": None, "feed": True, "rotate_feed_token": True},
        {"active": False},
    ]
    # A token for a feed the same edit turns off: refused whatever is stored, so said here.
    schema["not"] = FEED_OFF_AND_ROTATED


class SavedSearchUpdate(BaseModel):
    """Fields to change; `webhook: null` removes the webhook (pending deliveries are cancelled)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_offer_null_for_the_webhook_only)

    # Left out, these keep their value; null is refused (the service says so), and the
    # schema does not offer it (`_offer_null_for_the_webhook_only`).
    name: Annotated[str, Text(max_length=MAX_NAME_LENGTH)] | None = None
    search: SearchBody | None = None
    webhook: WebhookIn | None = None
    feed: JsonBool | None = None
    rotate_feed_token: JsonBool = Field(
        default=False, description="Issue a new feed token; the old one stops working."
    )
    active: JsonBool | None = None

    _check_name = field_validator("name")(_name)


class WebhookPublic(BaseModel):
    url: str
    secret_hint: str = Field(description="The secret's last 4 characters.", examples=["…1234"])


class FeedPublic(BaseModel):
    url: str = Field(examples=["http://127.0.0.1:8000/saved-searches/1/feed"])
    token: str | None = Field(
        default=None,
        description="Shown only when issued (creation, or rotate_feed_token): append as "
        "`?token=` for feed readers that cannot send an API key.",
    )


class SavedSearchPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "name": "Harbour bridge",
                    "search": _EXAMPLE_SEARCH,
                    "webhook": {
                        "url": "https://hooks.example.org/newsarchive",
                        "secret_hint": "…1234",
                    },
                    "feed": {
                        "url": "http://127.0.0.1:8000/saved-searches/1/feed",
                        "token": "dG9rZW4tc2hvd24tb25jZQ",
                    },
                    "active": True,
                    "created_at": "2024-05-17T07:30:00+00:00",
                    "updated_at": "2024-05-17T07:30:00+00:00",
                    "warnings": [],
                }
            ]
        }
    )

    id: int
    name: str
    search: dict[str, Any] = Field(description="The /search parameters as stored.")
    webhook: WebhookPublic | None
    feed: FeedPublic | None
    active: bool
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(
        default_factory=list, description="On create and update: e.g. entities not known yet."
    )


def _first_page(model: type[BaseModel]) -> dict[str, JsonValue]:
    """The example of a list response: a last page holding `model`'s examples."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    return {"data": extra["examples"], "next": None}


class SavedSearchList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_first_page(SavedSearchPublic)]})

    data: list[SavedSearchPublic]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class AttemptPublic(BaseModel):
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    outcome: str = Field(description="delivered, retrying or failed")


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "article_id": 7,
                    "title": "Harbour bridge reopens",
                    "url": "https://example.org/news/bridge",
                    "idempotency_key": "5f0c0c3e2c7a4c0e9a3c2d1e0f9b8a7d:7",
                    "status": "pending",
                    "attempts": 2,
                    "next_attempt_at": "2024-05-17T07:32:00+00:00",
                    "delivered_at": None,
                    "last_status_code": 500,
                    "last_error": None,
                    "matched_at": "2024-05-17T07:30:00+00:00",
                    "why": {
                        "terms": ["bridge"],
                        "highlights": {"title": "Harbour <mark>bridge</mark> reopens"},
                        "matches_position": {"title": [{"start": 8, "length": 6}]},
                        "filters": {"source": ["Example Gazette"]},
                    },
                    "log": [
                        {
                            "attempt": 1,
                            "at": "2024-05-17T07:30:01+00:00",
                            "duration_ms": 10000,
                            "status_code": None,
                            "error": "timed out after 10s",
                            "outcome": "retrying",
                        },
                        {
                            "attempt": 2,
                            "at": "2024-05-17T07:31:01+00:00",
                            "duration_ms": 35,
                            "status_code": 500,
                            "error": None,
                            "outcome": "retrying",
                        },
                    ],
                }
            ]
        }
    )

    id: int
    article_id: int
    title: str
    url: str | None
    idempotency_key: str
    status: str = Field(description="pending, delivered, failed or cancelled")
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    matched_at: datetime
    why: dict[str, Any] = Field(description="terms, highlights, matches_position, filters")
    log: list[AttemptPublic] = Field(description="Every attempt, oldest first.")


class DeliveryList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_first_page(DeliveryPublic)]})

    data: list[DeliveryPublic] = Field(description="Newest match first.")
    next: str | None


class RetryResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"requeued": 3}]})

    requeued: int = Field(examples=[3])
