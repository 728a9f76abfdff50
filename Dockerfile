# chainrule: docker build -t chainrule . && docker run -p 8000:8000 chainrule
# Stage 1 bundles the pinned npm packages (package-lock.json) into static/build/.
FROM node:20-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts ./scripts
RUN node scripts/build-static.mjs

# Stage 2 compiles the engine's hot modules with mypyc (setup.py); only its output is kept.
FROM python:3.11-slim AS engine
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
RUN pip install --no-cache-dir "mypy==2.4.1" setuptools
COPY setup.py pyproject.toml README.md ./
COPY chainrule ./chainrule
RUN python setup.py --quiet build_ext --inplace

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    WEB_CONCURRENCY=4 \
    PORT=8000 \
    CHAINRULE_RATE_LIMIT=120/minute
RUN useradd --create-home --uid 10001 chainrule
WORKDIR /srv/chainrule
COPY pyproject.toml setup.py README.md ./
COPY --from=engine /src/chainrule ./chainrule
COPY templates ./templates
COPY static ./static
COPY --from=frontend /src/static/build ./static/build
# Editable, so the app finds templates/ and static/ beside the package; the engine is
# already compiled (stage 2), so pip need not compile it again.
RUN CHAINRULE_PURE_PYTHON=1 pip install --no-cache-dir -e . && chown -R chainrule /srv/chainrule
USER chainrule
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/api/health', timeout=2)"
# A public image starts rate-limited (per client IP and worker; CHAINRULE_RATE_LIMIT_STORAGE
# shares the counters, CHAINRULE_RATE_LIMIT="" turns it off).
# Stateless: several uvicorn workers (WEB_CONCURRENCY) share nothing but the code.
CMD ["sh", "-c", "exec chainrule serve --host 0.0.0.0 --port \"$PORT\" --workers \"$WEB_CONCURRENCY\""]
