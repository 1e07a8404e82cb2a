# szwatch daemon image. Build: docker build -t szwatch .   Run: see docker-compose.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY szwatch ./szwatch
RUN pip install --no-cache-dir .
RUN useradd --create-home --uid 10001 szwatch && mkdir -p /app/logs && chown szwatch /app/logs
USER szwatch

# `szwatch status` exits non-zero when the daemon is unhealthy (no lease, site unreachable, failed deliveries …)
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s CMD ["szwatch", "--quiet", "status"]
CMD ["szwatch", "run", "--config", "/app/config/settings.toml"]
