"""tests/api/coverage.py lists a test for every row of api.md, and every test it lists exists.

A row added to api.md fails here until it is built and tested (ROWS) or marked as a later
issue's (PENDING); a row that gets built must leave PENDING.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.api.coverage import EVERY_ROW, PENDING, ROWS, spec_rows

ROOT = Path(__file__).resolve().parents[2]


def test_every_api_md_row_is_listed_as_tested_or_pending() -> None:
    missing = [f"{m} {p}" for m, p in spec_rows() if (m, p) not in ROWS and (m, p) not in PENDING]
    assert not missing, f"api.md rows with no test in tests/api/coverage.py: {missing}"


def test_no_row_is_both_tested_and_pending() -> None:
    both = [f"{m} {p}" for m, p in set(ROWS) & set(PENDING)]
    assert not both, f"rows in both ROWS and PENDING (built? drop them from PENDING): {both}"


def test_every_listed_row_is_a_row_of_api_md() -> None:
    spec = spec_rows()
    stale = [f"{m} {p}" for m, p in [*ROWS, *PENDING] if (m, p) not in spec]
    assert not stale, f"rows listed in tests/api/coverage.py that api.md does not have: {stale}"


def test_every_row_names_tests_and_every_named_test_exists() -> None:
    empty = [f"{m} {p}" for (m, p), tests in ROWS.items() if not tests]
    assert not empty, f"rows without a test: {empty}"
    unknown = []
    for node_id in sorted({node for tests in ROWS.values() for node in tests} | set(EVERY_ROW)):
        file, _, name = node_id.partition("::")
        if not (ROOT / file).is_file() or not name.startswith("test_"):
            unknown.append(node_id)
            continue
        module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
        if not callable(getattr(module, name, None)):
            unknown.append(node_id)
    assert not unknown, f"tests named in tests/api/coverage.py that do not exist: {unknown}"


def test_the_parser_reads_tables_several_methods_queries_and_code_spans(tmp_path: Path) -> None:
    spec = tmp_path / "api.md"
    spec.write_text(
        "# API\nThe schema (`GET /api/schema/`).\n\n## Things\n"
        "| method | path | body → response |\n|---|---|---|\n"
        "| GET, PATCH | /api/things/{name}/ | PATCH: `x` |\n"
        "| GET | /api/things/{name}/export?format=a\\|b[&tags=x] | a\\|b |\n\n"
        "| param | range | default |\n|---|---|---|\n| `epochs` | 1 – 500 | 10 |\n\n"
        "## Later\n`POST /ml/{project}/setup`, `GET /api/x?y=1` → 200\n",
        encoding="utf-8",
    )
    assert spec_rows(spec) == {
        ("GET", "/api/schema/"): "API",
        ("GET", "/api/things/{name}/"): "Things",
        ("PATCH", "/api/things/{name}/"): "Things",
        ("GET", "/api/things/{name}/export"): "Things",
        ("POST", "/ml/{project}/setup"): "Later",
        ("GET", "/api/x"): "Later",
    }
