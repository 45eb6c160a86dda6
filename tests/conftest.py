"""Suite-wide test setup.

Django settings are read from the environment before any conftest runs, so the test environment
(SECRET_KEY, DEBUG, SPARK_DRIVER_MEMORY, DATABASE_URL) is set by `make test` and
scripts/with_test_postgres.sh rather than here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytest_plugins = ["tests.personas", "tests.browser.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    # Production runs on PostgreSQL; SQLite would pass tests that locking, JSON queries and
    # constraints make fail there, so a run on anything else stops before the first test.
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        raise pytest.UsageError(
            f"annolab's tests run on PostgreSQL only, but DATABASE_URL selects {engine}. "
            "Run `make test`, or `scripts/with_test_postgres.sh .venv/bin/pytest ...` for a "
            "throwaway PostgreSQL, or set DATABASE_URL=postgres://..."
        )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    # PBKDF2 is slow by design; every persona hashing a password made each test take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def workdirs(settings: Any, tmp_path: Path) -> Path:
    """Runs, models and job logs of this test in its own folders; a small local Spark (the
    tests that run jobs in a worker's child process: training, pre-annotation, Label Studio)."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MODELS_DIR = tmp_path / "models"
    settings.SPARK_DRIVER_MEMORY = "2g"
    settings.SPARK_MASTER = "local[2]"
    return tmp_path
