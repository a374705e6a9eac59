# trust-signals: the read service under gunicorn. It serves what the store holds; it never
# makes data up (a demo snapshot is an explicit one-off command, see README "Deploying").
# Run it behind nginx (deploy/compose.yaml): gunicorn's sync workers serve one connection
# each, so a client that sends slowly would hold a worker. Port 8080 is for nginx only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRUST_SIGNALS_STORE=/data/store \
    TRUST_SIGNALS_BIND=0.0.0.0:8080

WORKDIR /app
# The server's locked dependency set (the base and the `server` extra) the tests ran against,
# then the project without re-resolving.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY trust_signals ./trust_signals
RUN pip install --no-cache-dir --no-deps . \
    && pip check \
    && useradd --system --uid 10001 --home-dir /app trust \
    && mkdir -p /data \
    && chown trust /data

USER 10001
EXPOSE 8080
# Alive, not ready: a replica without data is still healthy; /readyz is for load balancers.
HEALTHCHECK --interval=10s --timeout=2s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]

ENTRYPOINT ["gunicorn", "--config", "gunicorn.conf.py"]
