# One image for both processes of annolab:
#   web:     docker run -p 8000:8000 --env-file .env -v annolab-data:/var/lib/annolab annolab
#   worker:  docker run --env-file .env -v annolab-data:/var/lib/annolab annolab python manage.py qcluster
#   migrate: docker run --rm --env-file .env annolab python manage.py migrate
# Bookworm pins the Debian release that packages Java 17, which Spark NLP runs on.
# gunicorn reads gunicorn.conf.py (database connections kept 60 s); WEB_CONCURRENCY is its number
# of sync workers: 4 for 2 cores, since a worker waits for PostgreSQL during part of every request
# and 2 would leave the cores idle then (docs/benchmarks.md, "Submit under load").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANNOLAB_VAR_DIR=/var/lib/annolab \
    SPARK_JARS_DIR=/opt/annolab/jars \
    STATIC_ROOT=/opt/annolab/static \
    WEB_CONCURRENCY=4

# Java runs Spark in the worker; Maven is only for the jar fetch below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless maven nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The jars live outside ANNOLAB_VAR_DIR, so mounting a volume there does not hide them; Maven's
# download cache is dropped in the same layer.
COPY deploy/spark-nlp-pom.xml deploy/
COPY scripts/fetch_jars.sh scripts/
RUN bash scripts/fetch_jars.sh && rm -rf /root/.m2

# Label Studio's editor for the annotate page, from npm, as `make frontend` installs it.
RUN npm install --no-audit --no-fund --prefix var/frontend @heartexlabs/label-studio@1.4.0 \
    && rm -rf /root/.npm

COPY . .
RUN SECRET_KEY=collectstatic python manage.py collectstatic --noinput \
    && useradd --system --create-home --uid 10001 annolab \
    && mkdir -p "$ANNOLAB_VAR_DIR" \
    && chown annolab: "$ANNOLAB_VAR_DIR"
USER annolab

EXPOSE 8000
CMD ["gunicorn", "annolab.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
