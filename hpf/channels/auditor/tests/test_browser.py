"""Browser journey of the auditors' search (issue 16) in Debian's chromium, on a desktop and
a phone: filters typed into the form reach the results and the export; a search by ID
number lands on a URL without the number; the table speaks words. Screenshots:
``$HPF_VAR_DIR/screenshots/issue16-audit-*``."""

from __future__ import annotations

import csv
import io

import pytest

from hpf.audit.services import Actor
from hpf.conftest import SIZES, browser_sign_in, no_sideways_scroll, screenshot
from hpf.ledger.selectors import account_overview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", SIZES)
def test_the_auditor_filters_searches_by_id_number_and_exports(
    sized_page,
    owner,
    other,
    clerk,
    make_staff,
    person,
    size,
):
    back = Actor(f"staff:{clerk.user_id}", "backoffice")
    account_overview(actor=back, account_id=owner.pk, purpose="后台核查甲")
    account_overview(actor=back, account_id=other.pk, purpose="后台核查乙")
    account_overview(actor=Actor(f"depositor:{owner.depositor_id}", "web"), account_id=owner.pk)
    auditor = make_staff("auditor", "audit_b", hall=None)
    page = sized_page(size)
    browser_sign_in(page, auditor)
    page.get_by_role("heading", name="审计日志查询").wait_for()

    # Staff and channel: both reach the result (they were ignored before).
    page.get_by_label("工作人员（用户名或工号）").fill(clerk.staff_no)
    page.get_by_label("渠道").select_option(label="中心后台")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**channel=backoffice**")
    assert f"staff={clerk.staff_no}" in page.url
    table = page.locator("table.audit tbody").inner_text()
    assert "后台核查甲" in table and "后台核查乙" in table
    assert "查询账户" in table and "中心后台" in table and "网上业务大厅" not in table
    assert f"（柜员 · 工号 {clerk.staff_no}）" in table and "staff:" not in table
    assert page.get_by_label("渠道").input_value() == "backoffice"  # the form keeps them
    no_sideways_scroll(page)
    screenshot(page, f"issue16-audit-filters-{size}")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3 and {r[3] for r in rows[1:]} == {"中心后台"}

    # By ID number: posted, never in the URL; the other filters stay.
    number = person(1)["id_number"]
    page.get_by_label("职工身份证号").fill(number)
    page.get_by_label("渠道").select_option(label="—")
    page.get_by_label("工作人员（用户名或工号）").fill("")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**who=**")
    assert number not in page.url and number[-4:] not in page.url
    page.get_by_text("当前按职工筛选（身份证号不显示）。").wait_for()
    table = page.locator("table.audit tbody").inner_text()
    assert "后台核查甲" in table and "后台核查乙" not in table
    assert "职工 测*" in table  # the owner's own read, masked
    assert number not in page.content()
    screenshot(page, f"issue16-audit-by-depositor-{size}")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
