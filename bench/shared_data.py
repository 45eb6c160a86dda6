"""Where the benchmark datasets live: ``shared/data`` beside the repository (see its README).

One root for every bench, so a checkout elsewhere than /work only needs the folder beside it.
"""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
