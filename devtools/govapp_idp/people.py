"""The demo people the stand-in province knows, read once from a JSON list (``serve.py
--people``): each with ``subject``, ``name``, ``id_number`` and ``acr`` ("face" or
"realname")."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_people: dict[str, dict[str, Any]] = {}


def load(path: str) -> None:
    for person in json.loads(Path(path).read_text(encoding="utf-8")):
        _people[str(person["subject"])] = person


def people() -> list[dict[str, Any]]:
    if not _people and os.environ.get("GOVAPP_IDP_PEOPLE"):
        load(os.environ["GOVAPP_IDP_PEOPLE"])
    return list(_people.values())


def person_of(subject: str) -> dict[str, Any]:
    for person in people():
        if person["subject"] == subject:
            return person
    raise KeyError(subject)
