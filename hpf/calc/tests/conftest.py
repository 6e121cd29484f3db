"""Helpers for the calc tests: the published test vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The published figures, copied into the repository with their sources (data/README.md).
VECTORS_PATH = Path(__file__).resolve().parent / "data" / "vectors.json"


def load_vectors() -> dict[str, Any]:
    """The published figures every calculation must reproduce (data/vectors.json)."""
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return load_vectors()
