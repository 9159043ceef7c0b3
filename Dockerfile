# Frontdesk server and worker image. Untested here (no Docker on the build machine); kept minimal.
# Build: docker build -t frontdesk .
# Run:   docker run -p 8000:8000 -v frontdesk-data:/var/lib/frontdesk frontdesk
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Only what the package needs: a local .venv or var/ never reaches the image.
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/frontdesk && /opt/frontdesk/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/frontdesk/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FRONTDESK_HOST=0.0.0.0 \
    FRONTDESK_PORT=8000 \
    FRONTDESK_DATA_DIR=/var/lib/frontdesk \
    FRONTDESK_DATABASE_URL=sqlite+aiosqlite:////var/lib/frontdesk/frontdesk.db
RUN groupadd --system --gid 10001 frontdesk \
    && useradd --system --uid 10001 --gid frontdesk --home-dir /var/lib/frontdesk --shell /usr/sbin/nologin frontdesk \
    && mkdir -p /var/lib/frontdesk && chown frontdesk:frontdesk /var/lib/frontdesk
COPY --from=build /opt/frontdesk /opt/frontdesk
USER frontdesk
WORKDIR /var/lib/frontdesk
VOLUME ["/var/lib/frontdesk"]
EXPOSE 8000
# The slim image has no curl; Python is there anyway. Liveness only: readiness is the proxy's job.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2); sys.exit(0)"]
CMD ["frontdesk", "serve"]
