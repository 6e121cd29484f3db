"""Browser journeys through the counter with Debian's chromium against a live server: a clerk
signs in with both factors, checks a depositor's ID and reads the account; a clerk proposes a
freeze and a supervisor approves it. The overview is saved as a screenshot to look at
(``$HPF_VAR_DIR/screenshots/``)."""

from __future__ import annotations

import re

import pytest

from hpf.conftest import browser_sign_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_idcheck(page, person: dict[str, str], purpose: str = "账户查询") -> None:
    page.get_by_label("身份证号").fill(person["id_number"])
    page.get_by_label("姓名").fill(person["name"])
    page.get_by_label("办理用途").select_option(label=purpose)
    page.get_by_label("已核对：来人与身份证件照片、信息一致（人证一致）").check()
    page.get_by_role("button", name="核验并打开账户").click()


def test_clerk_signs_in_checks_the_id_and_reads_the_account(sized_page, owner, clerk, person):
    page = sized_page("desktop")
    browser_sign_in(page, clerk)
    page.get_by_role("heading", name="人证核验").wait_for()
    screenshot(page, "counter-idcheck")
    open_idcheck(page, person(1))
    page.get_by_role("heading", name="账户总览").wait_for()
    assert re.search(r"/counter/s/[A-Za-z0-9_-]{20,}/$", page.url)
    assert person(1)["id_number"] not in page.url
    body = page.locator("main").inner_text()
    for fact in ("7,200.00", owner.account_no, "昆明测试单位1", "正常", "2026-10", "12%"):
        assert fact in body, fact
    screenshot(page, "counter-overview")

    page.get_by_role("link", name="缴存明细").click()
    page.get_by_role("heading", name="缴存明细").wait_for()
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert "2,400.00" in rows.first.inner_text()
    # The years run back to the account's opening (2026-08-01), as on the portal (issue 16).
    assert page.get_by_label("年份").locator("option").all_inner_texts() == ["全部年份", "2026"]
    page.get_by_label("年份").select_option("2026")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("共 3 笔").wait_for()
    screenshot(page, "counter-deposits")


def test_clerk_proposes_a_freeze_and_the_supervisor_approves(
    sized_page, owner, clerk, supervisor, person
):
    desk = sized_page("desktop")
    browser_sign_in(desk, clerk)
    open_idcheck(desk, person(1), purpose="冻结/解冻")
    desk.get_by_role("link", name="申请冻结（需审核员复核）").click()
    desk.get_by_label("冻结依据").select_option(label="司法冻结")
    desk.get_by_label("冻结方式").select_option(label="不收不付")
    desk.get_by_label("原因（如协助执行通知书文号）").fill("（2026）云0102执保88号协助冻结")
    desk.get_by_role("button", name="提交审核").click()
    desk.get_by_text("申请已提交，等待本管理部审核员审核").wait_for()

    office = sized_page("desktop")
    browser_sign_in(office, supervisor)
    office.get_by_role("heading", name=re.compile("复核队列")).wait_for()
    row = office.locator("article.proposal", has_text=owner.account_no)
    assert "执保88号" in row.inner_text()
    row.get_by_label("审核意见").fill("材料齐全，同意")
    row.get_by_role("button", name="批准").click()
    office.get_by_text("已批准，业务已生效").wait_for()
    screenshot(office, "counter-approvals")

    # Back at the counter, the clerk (still in the same session) sees the account frozen.
    desk.get_by_role("link", name="返回账户总览").click()
    desk.get_by_role("heading", name="账户总览").wait_for()
    body = desk.locator("main").inner_text()
    assert "冻结" in body and "执保88号" in body and "不收不付" in body
    owner.refresh_from_db()
    assert owner.status == "FROZEN"


def test_clerk_prints_a_deposit_certificate_that_verifies_on_the_public_page(
    sized_page, owner, clerk, person, tmp_path
):
    """Both factors → ID check → 打印证明 → the signed PDF downloads; anyone then checks it on
    the public page: by uploading the file, and by the QR code printed on it (read back from
    a rendering of the page with zbarimg), without signing in."""
    import subprocess
    from urllib.parse import urlsplit

    desk = sized_page("desktop")
    browser_sign_in(desk, clerk)
    open_idcheck(desk, person(1), purpose="打印证明")
    desk.get_by_role("link", name="打印证明").click()
    desk.get_by_label("证明类型").select_option(label="住房公积金缴存证明")
    desk.get_by_label("证明用途").fill("办理贷款")
    with desk.expect_download() as downloading:
        desk.get_by_role("button", name="出具并下载 PDF").click()
    pdf = tmp_path / "certificate.pdf"
    downloading.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    public = sized_page("desktop")  # a stranger's browser: no session at all
    public.goto("/verify/")
    public.locator("input[name=pdf]").set_input_files(str(pdf))
    public.get_by_role("button", name="上传并检查").click()
    public.get_by_role("heading", name="PDF 检查结果").wait_for()
    text = public.locator("main").inner_text()
    assert "是" in text.split("签名完好")[1].split("\n")[0]
    assert "昆明住房公积金管理中心" in text
    assert "有效" in text
    assert person(1)["id_number"] not in text

    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    png = next(tmp_path.glob("page*.png"))
    read = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True
    )
    qr = urlsplit(read.stdout.strip())
    public.goto(f"{qr.path}?{qr.query}")
    public.get_by_role("heading", name="核验结果").wait_for()
    facts = public.locator("main").inner_text()
    assert "有效" in facts
    assert "住房公积金缴存证明" in facts
