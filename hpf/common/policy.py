"""The policy in force: ``policy/kunming.toml`` loaded once and validated (see hpf.calc.policy)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from hpf.calc.policy import Policy, load_policy


@cache
def get_policy() -> Policy:
    return load_policy(settings.HPF_POLICY_FILE)
