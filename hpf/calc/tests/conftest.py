"""Shared helpers for the calc tests: the published test vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# /work/shared beside the /work/main clone (CI checks out ../shared next to the repo).
VECTORS_PATH = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "vectors.json"


def load_vectors() -> dict[str, Any]:
    """The published figures of shared/testdata/vectors.json; a clear error if it is absent."""
    if not VECTORS_PATH.is_file():
        raise FileNotFoundError(
            f"test vectors not found at {VECTORS_PATH}: check out the shared repository "
            "beside this one (../shared/testdata/vectors.json)"
        )
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return load_vectors()
