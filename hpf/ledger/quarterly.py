"""The quarterly summary (季度账户摘要): the seed advises depositors to check their account
every quarter, so after each quarter every account open during it gets one notification with
its balance at the quarter's end and the quarter's deposits and withdrawals.

Written set-based: one INSERT … SELECT over the quarter's postings (grouped per account) into
the outbox, in one transaction; delivery follows each depositor's switch (by default e-mail to
a verified address) with ``hpf send-notifications``. A quarter is summarised once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction

from hpf.common import clock
from hpf.common import notify as outbox
from hpf.common.errors import InvalidInput
from hpf.common.models import Notification
from hpf.ledger.models import DEPOSIT_REASONS, Reason

WITHDRAWAL_REASONS = (Reason.WITHDRAWAL, Reason.CLOSING_WITHDRAWAL, Reason.LOAN_OFFSET)


@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    q: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        if self.q == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.q + 1, 1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.q}季度"


def parse_quarter(text: str) -> Quarter:
    found = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not found:
        raise InvalidInput("季度格式应为 2026Q3")
    return Quarter(int(found.group(1)), int(found.group(2)))


def _in(reasons: tuple[str, ...]) -> str:
    return ", ".join(f"'{r}'" for r in reasons)  # fixed codes of Reason, never user input


def quarterly_summary(quarter: Quarter) -> int:
    """Write the quarter's summaries; returns how many. Refused before the quarter has ended
    or when it was summarised already."""
    if quarter.end >= clock.today():
        raise InvalidInput(f"{quarter.label}尚未结束，不能生成季度摘要")
    prefix = f"您的住房公积金{quarter.label}摘要："
    with transaction.atomic(durable=True):
        if Notification.objects.filter(
            kind=outbox.QUARTERLY_SUMMARY, text__startswith=prefix
        ).exists():
            raise InvalidInput(f"{quarter.label}的季度摘要已经生成过")
        start, end = quarter.start, quarter.end
        balance = "a.balance_fen - COALESCE(p.later, 0)"
        return outbox.notify_select(
            outbox.QUARTERLY_SUMMARY,
            depositor_sql="a.depositor_id",
            text_sql=(
                f"CAST(%s AS TEXT) || {outbox.sql_yuan(balance)}"
                f" || CAST(%s AS TEXT) || {outbox.sql_yuan('COALESCE(p.dep, 0)')}"
                f" || CAST(%s AS TEXT) || {outbox.sql_yuan('COALESCE(p.wd, 0)')}"
                " || CAST(%s AS TEXT)"
            ),
            from_sql=(
                "registry_fundaccount a LEFT JOIN ("
                " SELECT fund_account_id,"
                f"  SUM(CASE WHEN value_date <= %s AND reason IN ({_in(DEPOSIT_REASONS)})"
                "   THEN amount_fen ELSE 0 END) AS dep,"
                f"  SUM(CASE WHEN value_date <= %s AND reason IN ({_in(WITHDRAWAL_REASONS)})"
                "   THEN -amount_fen ELSE 0 END) AS wd,"
                "  SUM(CASE WHEN value_date > %s THEN amount_fen ELSE 0 END) AS later"
                " FROM ledger_posting"
                " WHERE fund_account_id IS NOT NULL AND value_date >= %s"
                " GROUP BY fund_account_id"
                ") p ON p.fund_account_id = a.id"
                " WHERE a.opened_on <= %s AND (a.closed_on IS NULL OR a.closed_on >= %s)"
            ),
            params=[
                f"{prefix}季末余额 ",
                " 元，本季缴存 ",
                " 元，提取 ",
                " 元。如有疑问，可在网上业务大厅提交核查更正申请。",
                end,
                end,
                end,
                start,
                end,
                start,
            ],
        )
