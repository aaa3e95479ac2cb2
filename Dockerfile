# newsarchive API image: slim, non-root, locked dependencies, runs the same `newsarchive`
# commands the test suite exercises. Meilisearch and PostgreSQL run beside it (docker-compose.yml).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /srv/newsarchive
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --frozen --no-dev

RUN useradd --system --create-home --uid 10001 newsarchive \
    && mkdir -p /srv/newsarchive/data \
    && chown newsarchive /srv/newsarchive/data
USER newsarchive

ENV DATA_DIR=/srv/newsarchive/data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]

# `serve` applies migrations first. MEILI_URL must point at a Meilisearch (see docker-compose.yml).
CMD ["newsarchive", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
