# A Scrapyd node that crawls for the szwatch daemon: the same szwatch as the daemon's image, plus Scrapyd.
# Build: docker build -f deploy/scrapyd.Dockerfile -t szwatch-scrapyd .   Then: szwatch scrapyd deploy --node URL
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY szwatch ./szwatch
RUN pip install --no-cache-dir ".[scrapyd]"
COPY deploy/scrapyd.conf /etc/scrapyd/scrapyd.conf
RUN useradd --create-home --uid 10001 szwatch && mkdir -p /var/lib/scrapyd && chown szwatch /var/lib/scrapyd
USER szwatch
WORKDIR /var/lib/scrapyd
EXPOSE 6800
HEALTHCHECK --interval=30s --timeout=10s CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:6800/daemonstatus.json')"]
CMD ["scrapyd"]
