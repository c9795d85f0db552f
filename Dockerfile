# hitl-service image: one image for the API (gunicorn), the Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 hitl && useradd --system --uid 10001 --gid hitl --home-dir /app --no-create-home hitl

COPY setup.cfg pyproject.toml README.md ./
COPY hitl_service ./hitl_service
COPY workers ./workers
COPY schemas ./schemas
RUN pip install --no-cache-dir . && mkdir -p /app/var && chown -R hitl:hitl /app/var

USER 10001:10001
EXPOSE 8080
ENV HITL_DATA_DIR=/app/var/data

HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status == 200 else 1)"]

CMD ["python", "-m", "gunicorn", "--bind", "0.0.0.0:8080", "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--graceful-timeout", "5", "hitl_service.wsgi:app"]
