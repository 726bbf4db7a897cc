# syntax=docker/dockerfile:1
# One image for every service (api, worker, scheduler, migrate): `docker run IMAGE <subcommand>`.

# --- build stage: install the project and its dependencies into a self-contained venv -------------
FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src
# README.md is the project's `readme` in pyproject.toml: the build needs it.
COPY pyproject.toml README.md ./
COPY notifier/ ./notifier/
COPY adapters/ ./adapters/
RUN pip install . \
    && find /opt/venv -name '__pycache__' -type d -prune -exec rm -rf {} +

# --- runtime stage: the venv, the templates, a non-root user; no build leftovers ------------------
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH"

RUN groupadd --system --gid 10001 notifier \
    && useradd --system --uid 10001 --gid notifier --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin notifier

COPY --from=build /opt/venv /opt/venv

# WORKDIR /app so the default NOTIFIER_TEMPLATES_DIR=templates resolves here; mount a policy file
# at /app/notifier.toml (or set NOTIFIER_POLICY_FILE) to change the policy.
# /app belongs to the app user (so the default sqlite:///notifier.db can be created), and so do
# the templates: the ops page saves edits there. docker-compose mounts a named volume at
# /app/templates, seeded from these on first start and shared by api, worker and scheduler.
WORKDIR /app
COPY --chown=notifier:notifier templates/ ./templates/
RUN mkdir /app/metrics && chown notifier:notifier /app /app/metrics

USER notifier:notifier

EXPOSE 8000

ENTRYPOINT ["notifier"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
