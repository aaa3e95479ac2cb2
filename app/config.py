"""Settings from the environment (and an optional `.env` file); every field is in README."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Runtime configuration. Names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    DATA_DIR: Path = DEFAULT_DATA_DIR
    DATABASE_URL: str = f"sqlite:///{DEFAULT_DATA_DIR / 'newsarchive.db'}"
    DATABASE_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DATABASE_POOL_SIZE: int = Field(default=5, ge=1)

    MEILI_URL: str | None = None
    MEILI_MASTER_KEY: SecretStr | None = None
    MEILI_INDEX: str = "articles"
    MEILI_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    MEILI_BINARY: Path | None = None

    SYNC_WORKER_ENABLED: bool = True
    SYNC_BATCH_SIZE: int = Field(default=500, ge=1, le=10_000)
    SYNC_POLL_SECONDS: float = Field(default=0.2, gt=0)
    SYNC_MAX_ATTEMPTS: int = Field(default=10, ge=1)
    #: A server's background workers (index, embedding, alerts) that keep finding nothing to do
    #: poll less and less often, up to this; their own process's writes still wake the index
    #: worker at once.
    WORKER_IDLE_POLL_MAX_SECONDS: float = Field(default=2.0, gt=0, le=60)

    #: Saved-search alerts: matching and webhook delivery threads run beside the index worker.
    ALERT_WORKER_ENABLED: bool = True
    ALERT_POLL_SECONDS: float = Field(default=1.0, gt=0)
    ALERT_MATCH_BATCH_SIZE: int = Field(default=500, ge=1, le=10_000)
    #: Let webhooks reach loopback, private ranges and this server (never link-local/metadata).
    ALERT_WEBHOOK_ALLOW_PRIVATE: bool = False
    ALERT_WEBHOOK_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=300)
    ALERT_DELIVERY_CONCURRENCY: int = Field(default=4, ge=1, le=64)
    ALERT_DELIVERY_MAX_ATTEMPTS: int = Field(default=8, ge=1, le=100)
    ALERT_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    ALERT_RETRY_MAX_SECONDS: float = Field(default=3600.0, gt=0)

    #: Find entities in article text on write; off, only the entities a client sends are kept.
    ENTITY_EXTRACTION_ENABLED: bool = True

    #: Group near-duplicate articles into story clusters as they are written (articles stored
    #: before, or while it was off, join clusters with `newsarchive clusters rebuild`).
    CLUSTERING_ENABLED: bool = True
    #: Least Jaccard similarity of two texts' word 3-shingles for them to be one story (two
    #: reports of one template are told apart above it: app/stories/verify.py).
    CLUSTER_SIMILARITY: float = Field(default=0.3, gt=0, le=1)
    #: Most days between an article and its cluster's first publication (0: no limit).
    CLUSTER_WINDOW_DAYS: float = Field(default=7.0, ge=0)

    #: Semantic and hybrid search and related articles on a local embedding model; off, the
    #: model is never loaded, nothing is embedded and only keyword search is offered.
    EMBEDDINGS_ENABLED: bool = True
    #: A directory with the operator's own ONNX export (`model.onnx` or `onnx/model.onnx`, and
    #: `tokenizer.json`) of a 384-dimension sentence model; unset: the bundled all-MiniLM-L6-v2.
    EMBEDDING_MODEL_PATH: Path | None = None
    #: The bundled model's weights: int8 (derived once into DATA_DIR/models) or fp32 as
    #: shipped. Vectors of one are never mixed with the other's (another model id).
    EMBEDDING_PRECISION: Literal["int8", "fp32"] = "int8"
    #: Run the embedding worker where the index worker runs (server, `newsarchive worker`).
    EMBED_WORKER_ENABLED: bool = True
    EMBED_BATCH_SIZE: int = Field(default=32, ge=1, le=1000)
    #: CPU threads of one model run (0: onnxruntime picks, one per core).
    EMBEDDING_THREADS: int = Field(default=1, ge=0, le=64)
    #: Weight of the vector side in `mode=hybrid` when a search names none.
    SEMANTIC_RATIO_DEFAULT: float = Field(default=0.5, ge=0, le=1)

    MAX_BODY_CHARS: int = Field(default=1_000_000, ge=1)
    MAX_REQUEST_BYTES: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Most articles in one application/json array to POST /articles/bulk (NDJSON has no count limit).
    BULK_MAX_ITEMS: int = Field(default=1000, ge=1)

    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    LOG_FORMAT: Literal["json", "console"] = "json"

    #: Writes always need an API key; reads need a `read` key only when this is on.
    REQUIRE_KEY_FOR_READS: bool = False
    #: Browser origins allowed to call the API, comma-separated or a JSON list; empty sends no CORS headers.
    CORS_ALLOW_ORIGINS: Annotated[list[str], NoDecode] = []
    #: Per API key, or per client IP without one; 0 turns a limit off. Counted per process.
    RATE_LIMIT_READS_PER_MINUTE: int = Field(default=600, ge=0)
    RATE_LIMIT_WRITES_PER_MINUTE: int = Field(default=120, ge=0)
    RATE_LIMIT_MAX_CLIENTS: int = Field(default=10_000, ge=1)

    @field_validator("CORS_ALLOW_ORIGINS", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            # The psycopg 3 driver is the one installed; plain postgresql:// would look for psycopg2.
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
