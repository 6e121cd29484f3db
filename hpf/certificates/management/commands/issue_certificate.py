"""hpf issue-certificate --account-no N --kind deposit|statement|loan-payoff [--from --to]
[--loan CONTRACT] --purpose TEXT [--hall NAME] --out FILE.pdf: issue and write a signed PDF."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.certificates.codes import code_from_salt
from hpf.certificates.kinds import kind_by_slug, kind_spec
from hpf.certificates.pdf import certificate_pdf, verify_url
from hpf.certificates.services import certificate_issue
from hpf.common.errors import DomainError
from hpf.loans.models import Loan
from hpf.registry.models import FundAccount

KINDS = kind_by_slug()


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Issue a certificate (缴存证明 / 账户明细单 / 贷款结清证明) and write its signed PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account-no", required=True, help="个人账号")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--from", dest="date_from", help="statement start YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="statement end YYYY-MM-DD")
        parser.add_argument("--loan", help="loan contract number (loan-payoff)")
        parser.add_argument("--purpose", required=True, help="用途, recorded in the audit trail")
        parser.add_argument("--hall", default="营业部", help="issuing hall (管理部), on the seal")
        parser.add_argument("--out", required=True, type=Path, help="where to write the PDF")

    def handle(self, *args: Any, **options: Any) -> None:
        account_id = (
            FundAccount.objects.filter(account_no=options["account_no"])
            .values_list("pk", flat=True)
            .first()
        )
        if account_id is None:
            raise CommandError("NOT_FOUND: 个人账户不存在")
        loan_id = None
        if options["loan"]:
            loan_id = (
                Loan.objects.filter(contract_no=options["loan"], borrower_id=account_id)
                .values_list("pk", flat=True)
                .first()
            )
            if loan_id is None:
                raise CommandError("NOT_FOUND: 该账户没有此合同号的贷款")
        try:
            certificate = certificate_issue(
                Actor.cli(getpass.getuser()),
                account_id=account_id,
                kind=KINDS[options["kind"]],
                purpose=options["purpose"],
                hall=options["hall"],
                date_from=_date(options["date_from"], "--from"),
                date_to=_date(options["date_to"], "--to"),
                loan_id=loan_id,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        data = certificate_pdf(certificate)
        try:
            options["out"].write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {options['out']}: {exc}") from exc
        self.stdout.write(
            f"{certificate.serial} {kind_spec(certificate.kind).label}, valid until "
            f"{certificate.valid_until}; {len(data)} bytes → {options['out']}\n"
            f"verify: {verify_url(certificate.serial, code_from_salt(certificate.code_salt))}"
        )
