# trust-signals: the read service under gunicorn, with a demo snapshot made on first start.
# Run it behind nginx (deploy/compose.yaml): gunicorn's sync workers serve one connection
# each, so a client that sends slowly would hold a worker. Port 8080 is for nginx only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRUST_SIGNALS_STORE=/data/store \
    TRUST_SIGNALS_BIND=0.0.0.0:8080

WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY trust_signals ./trust_signals
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app trust \
    && mkdir -p /data \
    && chown trust /data

USER 10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=2).status != 200)"]

# A demo snapshot is generated and loaded on first start when none is active.
ENTRYPOINT ["sh", "-c", "trust-signals demo --out /data/demo-snapshot && exec gunicorn --config gunicorn.conf.py"]
