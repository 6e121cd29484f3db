"""Loan repayments are append-only: a mistake is corrected by a new row, never an edit."""

from hpf.common.dbguards import Guards

GUARDS = Guards(append_only=("loans_loanrepayment",))
