# tke-orphans: `docker build -t tke-orphans .` from the repository root.
# Two stages so that pip, wheels and build files stay out of the image that runs.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
# A virtualenv is a single directory to copy into the final stage, with nothing of the build tools in it.
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:${PYTHON_VERSION}-slim
# The root filesystem may be read-only (Kubernetes readOnlyRootFilesystem): no .pyc writes; logs unbuffered.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TKE_ORPHANS_CONFIG=/etc/tke-orphans/config.yaml
# A fixed numeric uid/gid: Kubernetes can only verify runAsNonRoot for a numeric USER, and the state volume's
# owner (fsGroup) must be known in advance.
RUN groupadd --system --gid 10001 tke-orphans \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tke-orphans --no-create-home \
       --shell /usr/sbin/nologin tke-orphans \
    && mkdir -p /var/lib/tke-orphans /etc/tke-orphans \
    && chown 10001:10001 /var/lib/tke-orphans
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/tke-orphans
# The SQLite state (database, WAL, lock file) must outlive the container; mount the config at /etc/tke-orphans.
VOLUME ["/var/lib/tke-orphans"]
EXPOSE 9108
# Only meaningful for `serve`; Kubernetes ignores it and uses the probes in deploy/kubernetes. No curl in slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]
ENTRYPOINT ["tke-orphans"]
# Every interface: in a container, port publishing reaches only those (serve.listen defaults to 127.0.0.1).
CMD ["serve", "--state", "/var/lib/tke-orphans/tke-orphans.db", "--listen", "0.0.0.0:9108"]
