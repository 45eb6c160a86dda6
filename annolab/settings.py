"""annolab settings: everything that differs between machines comes from the environment.

The helpers below fail loudly on a malformed value instead of guessing, so a typo in a
deployment's environment stops the process at start-up rather than at the first request.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

VAR_DIR = Path(env_str("ANNOLAB_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "projects",
    "training",
    "activelearning",
    "labelstudio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "annolab.urls"
WSGI_APPLICATION = "annolab.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL unset: the embedded SQLite default under var/; postgres://... in tests and prod.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'annolab.sqlite3'}"
# DB_CONN_MAX_AGE: 0 (a connection per request) here, 60 s in gunicorn (gunicorn.conf.py). A
# kept connection is checked before a request reuses it, so a restarted PostgreSQL costs no 500.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
# A job's child process must use the database of the worker that started it (under pytest that
# is the test database, whose name differs from DATABASE_URL's), so the worker passes its name.
if os.environ.get("DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["DATABASE_NAME"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the django-q2 worker share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if STATIC_ROOT.is_dir():
    # Serves the collected static files when no proxy does (gunicorn in the Docker image);
    # runserver and the test server serve them from the apps without `collectstatic`.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Request body limits (api.md): JSON bodies 10 MB, uploads 200 MB. Django's own checks answer 400,
# so annolab.middleware turns an oversized body into 413 before Django reads it.
MAX_JSON_BODY_BYTES = env_int("MAX_JSON_BODY_BYTES", 10 * 1024 * 1024)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
MIDDLEWARE.insert(0, "annolab.middleware.BodySizeLimitMiddleware")
MIDDLEWARE.insert(1, "annolab.middleware.UnstorableTextMiddleware")

REST_FRAMEWORK = {
    # Token first, so an anonymous API request is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "annolab.api.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "annolab.schema.AutoSchema",
    "EXCEPTION_HANDLER": "annolab.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only (the import adds multipart), through annolab's parser: malformed, too deep
    # or unstorable JSON is one 400 in api.md's error shape, never a RecursionError or a DB error.
    "DEFAULT_PARSER_CLASSES": ["annolab.json_input.JSONParser"],
    # DRF reads `?format=` as a renderer override and answers 404 before authentication; api.md
    # gives `format` to the export, so the override is off everywhere.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "annolab API",
    "DESCRIPTION": "Annotation lab: projects, tasks, completions, reviews, Spark NLP training.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the sidecar package: the docs page works without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# django-q2 with the ORM broker. Training runs are long: `timeout` bounds one run and `retry` is
# longer than it, so the broker never hands the same run to a second worker while the first is
# still on it. Runs are also claimed with a filtered UPDATE, so a redelivery does nothing.
TRAINING_TIMEOUT_SECONDS = env_int("TRAINING_TIMEOUT_SECONDS", 6 * 3600)
Q_CLUSTER = {
    "name": "annolab",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": TRAINING_TIMEOUT_SECONDS,
    "retry": TRAINING_TIMEOUT_SECONDS + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "poll": 1,
    "sync": env_bool("Q_SYNC", False),
}

# Spark NLP: `make jars` fetches the jars once into SPARK_JARS_DIR; Spark then starts offline.
SPARK_MASTER = env_str("SPARK_MASTER", "local[*]")
SPARK_DRIVER_MEMORY = env_str("SPARK_DRIVER_MEMORY", "6g")
SPARK_JARS_DIR = Path(env_str("SPARK_JARS_DIR", str(VAR_DIR / "jars")))
MODELS_DIR = Path(env_str("MODELS_DIR", str(VAR_DIR / "models")))
EMBEDDINGS_DIR = Path(env_str("EMBEDDINGS_DIR", str(VAR_DIR / "embeddings")))
# A command prefix for the child processes of jobs, e.g. "nice -n 10" or scripts/no_network.sh
# (a network namespace of its own: proves training needs no download).
TRAINING_CHILD_WRAPPER = env_str("TRAINING_CHILD_WRAPPER", "")
TRAINING_HEARTBEAT_SECONDS = env_int("TRAINING_HEARTBEAT_SECONDS", 5)
TRAINING_LEASE_SECONDS = env_int("TRAINING_LEASE_SECONDS", 60)
# POST /api/models/ (a zipped Spark NLP pipeline): the zip's size, what it may unpack to and how
# many entries it may hold (training/zipsafe.py). A model with large embeddings is hundreds of MB.
MODEL_UPLOAD_MAX_BYTES = env_int("MODEL_UPLOAD_MAX_BYTES", 1024 * 1024 * 1024)
MODEL_UPLOAD_MAX_UNPACKED_BYTES = env_int("MODEL_UPLOAD_MAX_UNPACKED_BYTES", 4 * 1024 * 1024 * 1024)
MODEL_UPLOAD_MAX_ENTRIES = env_int("MODEL_UPLOAD_MAX_ENTRIES", 10_000)

# Secure defaults whenever DEBUG is off; TLS termination is the proxy's job, so these are opt-out.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Label Studio ML backend (labelstudio/): the Label Studio servers annolab may pull a project's
# annotations from (START_TRAINING requests the `hostname` Label Studio sent at setup, with its
# token; anything else is refused), and how long `predict` waits for the pre-annotation job it
# starts: below Label Studio's ML_TIMEOUT_PREDICT (100 s by default), so Label Studio gets an
# answer, possibly partial, rather than a timeout.
LABEL_STUDIO_URLS = env_list("LABEL_STUDIO_URLS", [])
LABEL_STUDIO_PREDICT_WAIT = env_int("LABEL_STUDIO_PREDICT_WAIT", 80)

# projects validates model names against the registry without importing training: it calls this.
KNOWN_MODELS_PROVIDER = "training.selectors.known_models"
