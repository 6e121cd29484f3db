"""Whether an account is party to an HPF loan still being repaid, for apps that may not import
``hpf.loans`` (the withdrawal rules sit beside it in the same layer, independent of it).

``hpf.loans`` installs the answer in its ``AppConfig.ready`` with ``register_active_loan``;
``has_active_loan(account_id)`` asks it. Without an installed answer the question is refused
rather than answered "no", so a missing app can never let a rule pass or fail silently.
"""

from __future__ import annotations

from collections.abc import Callable

_lookup: list[Callable[[int], bool]] = []


def register_active_loan(lookup: Callable[[int], bool]) -> None:
    """Install the function that says whether an account borrows (the last one wins)."""
    _lookup[:] = [lookup]


def has_active_loan(account_id: int) -> bool:
    """True when the account is the borrower or co-borrower of a loan not yet paid off."""
    if not _lookup:
        raise RuntimeError("hpf.loans is not installed: no answer to whether an account borrows")
    return _lookup[0](account_id)
