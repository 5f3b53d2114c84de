# CultureCast: one image for every distributed role (api, ingest, worker) and for standalone.
FROM python:3.13-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /var/lib/culturecast culturecast
WORKDIR /app
COPY pyproject.toml README.md ./
COPY culturecast ./culturecast
RUN pip install --no-cache-dir . && rm -rf /root/.cache

USER culturecast
ENV CULTURECAST_DATA_DIR=/var/lib/culturecast/data \
    CULTURECAST_HTTP_HOST=0.0.0.0
EXPOSE 8080 8081 1935
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${CULTURECAST_HTTP_PORT:-8080}/healthz" || exit 1
ENTRYPOINT ["culturecast"]
CMD ["serve"]
