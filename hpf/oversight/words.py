"""Words for the codes staff pages would otherwise show raw: periods (``202011`` →
2020年11月), channels (``web`` → 网上业务大厅), audit actors (``staff:1`` → the staff member's
name with role and 工号, ``depositor:3`` → a masked name), audit actions (``case.open`` →
受理案件) and an event's details (labelled rows instead of a dict's text).

One module for the casework, security-case and audit pages and the auditors' export, so a
code reads the same everywhere. Actors are resolved in one query per kind for a whole page
(``ActorWords``); a depositor is never named in full, and an ID or card number never appears
(details never hold one: the trail stores the ID number only as a flag)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hpf.audit.models import Channel
from hpf.calc.masking import mask_name
from hpf.calc.money import format_yuan_grouped
from hpf.registry.models import Depositor, FreezeMode
from hpf.staff.models import StaffMember


def period_words(value: object) -> str:
    """``202011`` → "2020年11月" (English: "11/2020"); anything not a period as it is."""
    text = str(value).strip()
    if not (len(text) == 6 and text.isdigit() and 1 <= int(text[4:]) <= 12):
        return text
    return _("%(year)s年%(month)d月") % {"year": text[:4], "month": int(text[4:])}


def channel_words(code: str) -> str:
    """``web`` → 网上业务大厅; an unknown code as it is."""
    try:
        return str(Channel(code).label)
    except ValueError:
        return code


# The actor prefixes that are not people we can look up.
_ACTOR_KINDS: dict[str, Promise] = {
    "system": gettext_lazy("系统"),
    "anonymous": gettext_lazy("未登录访问"),
    "public": gettext_lazy("证明核验（公开页面）"),
    "partner": gettext_lazy("合作机构"),
    "kiosk": gettext_lazy("自助终端（本人）"),
    "sms": gettext_lazy("12329短信（本人）"),
    "cli": gettext_lazy("命令行"),
}


class ActorWords:
    """Names for audit actors, resolved once for every ident a page shows."""

    def __init__(self, idents: Iterable[str]) -> None:
        staff_ids: set[int] = set()
        depositor_ids: set[int] = set()
        for ident in idents:
            kind, _sep, rest = str(ident).partition(":")
            if kind == "staff" and rest.isdigit():
                staff_ids.add(int(rest))
            elif kind == "depositor" and rest.isdigit():
                depositor_ids.add(int(rest))
        self._staff = {m.user_id: m for m in StaffMember.objects.filter(user_id__in=staff_ids)}
        self._depositors = {
            pk: mask_name(name)
            for pk, name in Depositor.objects.filter(pk__in=depositor_ids).values_list("pk", "name")
        }

    def __call__(self, ident: str) -> str:
        kind, _sep, rest = str(ident).partition(":")
        if kind == "staff" and rest.isdigit():
            member = self._staff.get(int(rest))
            if member is None:
                return _("工作人员（已删除）")
            return _("%(name)s（%(role)s · 工号 %(no)s）") % {
                "name": member.display_name,
                "role": member.get_role_display(),
                "no": member.staff_no,
            }
        if kind == "depositor" and rest.isdigit():
            name = self._depositors.get(int(rest))
            return _("职工 %(name)s") % {"name": name} if name else _("职工（已注销）")
        if kind == "cli":
            # ``cli:settle-interest@staff:7``: the command, and who ran it when known.
            command, _at, who = rest.partition("@")
            ran = _("命令行 %(command)s") % {"command": command}
            return f"{ran} · {self(who)}" if who else ran
        label = _ACTOR_KINDS.get(kind)
        return str(label) if label is not None else str(ident)


# Audit actions in words; an action not listed is shown as its code.
ACTIONS: dict[str, Promise] = {
    "account.read": gettext_lazy("查询账户"),
    "audit.search": gettext_lazy("查询审计日志"),
    "audit.export": gettext_lazy("导出审计日志"),
    "audit.patterns": gettext_lazy("查看异常行为报告"),
    "case.open": gettext_lazy("受理案件"),
    "case.view": gettext_lazy("查看案件"),
    "case.findings": gettext_lazy("记录调查发现"),
    "case.freeze_propose": gettext_lazy("申请账户冻结"),
    "case.unfreeze_propose": gettext_lazy("申请账户解冻"),
    "case.freeze_confirm": gettext_lazy("确认账户冻结"),
    "case.unfreeze_confirm": gettext_lazy("确认账户解冻"),
    "case.proposal_reject": gettext_lazy("驳回冻结或解冻申请"),
    "case.proposal_lapsed": gettext_lazy("冻结或解冻申请超时失效"),
    "case.online_restore": gettext_lazy("恢复网上业务"),
    "case.online_restored": gettext_lazy("恢复网上业务"),
    "case.freeze_lapsed": gettext_lazy("冻结或解冻申请超时失效"),
    "case.close": gettext_lazy("办结案件"),
    "dispute.open": gettext_lazy("受理核查更正"),
    "dispute.file": gettext_lazy("提交核查更正申请"),
    "dispute.status": gettext_lazy("核查更正状态变更"),
    "dispute.postings": gettext_lazy("查看所涉月份账务"),
    "dispute.request_back_payment": gettext_lazy("通知单位补缴"),
    "dispute.take": gettext_lazy("受理核查"),
    "dispute.back_payment": gettext_lazy("通知单位补缴"),
    "dispute.propose_correction": gettext_lazy("提出更正方案"),
    "dispute.corrected": gettext_lazy("更正入账"),
    "dispute.correction_rejected": gettext_lazy("更正方案被驳回"),
    "dispute.resolve": gettext_lazy("办结核查"),
    "dispute.reject": gettext_lazy("不予更正"),
    "proposal.submit": gettext_lazy("提交复核申请"),
    "proposal.approve": gettext_lazy("批准复核申请"),
    "proposal.reject": gettext_lazy("驳回复核申请"),
    "deposit.back_payment": gettext_lazy("补缴入账"),
    "account.open": gettext_lazy("开户"),
    "account.view": gettext_lazy("查看账户"),
    "account.freeze": gettext_lazy("账户冻结"),
    "account.unfreeze": gettext_lazy("账户解冻"),
    "account.seal": gettext_lazy("账户封存"),
    "account.unseal": gettext_lazy("账户启封"),
    "account.card_change": gettext_lazy("变更银行卡"),
    "account.change_employer": gettext_lazy("变更缴存单位"),
    "idcheck.close": gettext_lazy("结束人证核验"),
    "certificate.lookup": gettext_lazy("核验证明"),
    "certificate.revoke": gettext_lazy("作废证明"),
    "certificate.refused": gettext_lazy("证明出具被拒"),
    "certificate.pdf": gettext_lazy("下载证明"),
    "appointment.request": gettext_lazy("预约"),
    "appointment.confirm": gettext_lazy("确认预约"),
    "appointment.complete": gettext_lazy("预约办结"),
    "appointment.cancel": gettext_lazy("取消预约"),
    "appointment.reschedule": gettext_lazy("改约"),
    "appointment.withdraw": gettext_lazy("撤回预约"),
    "appointment.status": gettext_lazy("预约状态变更"),
    "idcheck.open": gettext_lazy("人证核验"),
    "idcheck.no_match": gettext_lazy("人证核验不一致"),
    "certificate.issue": gettext_lazy("出具证明"),
    "signin": gettext_lazy("登录"),
}


def action_words(code: str) -> str:
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


# Labels for the keys of an event's details; a key not listed is shown as it is.
DETAIL_LABELS: dict[str, Promise] = {
    "period": gettext_lazy("所属年月"),
    "periods": gettext_lazy("所属年月"),
    "amount_fen": gettext_lazy("金额（元）"),
    "base_fen": gettext_lazy("缴存基数（元）"),
    "balance_fen": gettext_lazy("余额（元）"),
    "entry": gettext_lazy("分录"),
    "reverse_entry": gettext_lazy("冲正分录"),
    "proposal": gettext_lazy("复核申请编号"),
    "dispute": gettext_lazy("核查更正编号"),
    "case": gettext_lazy("案件编号"),
    "kind": gettext_lazy("类型"),
    "mode": gettext_lazy("冻结方式"),
    "reason": gettext_lazy("原因"),
    "note": gettext_lazy("说明"),
    "format": gettext_lazy("格式"),
    "rows": gettext_lazy("行数"),
    "depositor": gettext_lazy("按职工筛选"),
    "staff": gettext_lazy("工作人员"),
    "channel": gettext_lazy("渠道"),
    "action": gettext_lazy("操作"),
    "from": gettext_lazy("起始日期"),
    "to": gettext_lazy("截止日期"),
    "view": gettext_lazy("查看内容"),
    "result": gettext_lazy("结果"),
    "outcome": gettext_lazy("结论"),
    "status": gettext_lazy("状态"),
    "to_status": gettext_lazy("新状态"),
    "serial": gettext_lazy("证明编号"),
    "partner_name": gettext_lazy("合作机构"),
    "branch": gettext_lazy("网点"),
    "session": gettext_lazy("核验会话"),
    "how": gettext_lazy("方式"),
    "online_frozen": gettext_lazy("网上业务已冻结"),
    "confirm_by": gettext_lazy("确认时限"),
    "idcheck_session": gettext_lazy("核验会话"),
    "ended": gettext_lazy("结束的会话数"),
}

# What part of an account a read looked at (``account.read`` details' ``view``).
VIEWS: dict[str, Promise] = {
    "overview": gettext_lazy("账户总览"),
    "summary": gettext_lazy("账户摘要"),
    "movements": gettext_lazy("缴存明细"),
    "interest": gettext_lazy("结息记录"),
    "withdrawals": gettext_lazy("提取记录"),
    "loans": gettext_lazy("贷款"),
    "disputes": gettext_lazy("核查更正"),
    "readers": gettext_lazy("被查询记录"),
    "certificate": gettext_lazy("出具证明"),
    "export": gettext_lazy("导出明细"),
    "dispute.file": gettext_lazy("核查更正受理"),
    "dispute.postings": gettext_lazy("核查所涉账务"),
    "deposits": gettext_lazy("缴存明细"),
    "appointments": gettext_lazy("预约"),
    "kiosk.inquiry": gettext_lazy("自助终端查询"),
    "hotline.balance": gettext_lazy("热线查询余额"),
    "hotline.loan": gettext_lazy("热线查询贷款"),
}

_FLAGS: dict[str, Promise] = {
    "yes": gettext_lazy("是"),
    "no": gettext_lazy("否"),
    "True": gettext_lazy("是"),
    "False": gettext_lazy("否"),
}


def _value_words(
    key: str, value: Any, actors: ActorWords | None, codes: Mapping[str, Mapping[str, Any]]
) -> str:
    if key in codes and str(value) in codes[key]:
        return str(codes[key][str(value)])
    if key == "mode" and str(value) in FreezeMode.values:
        return str(FreezeMode(str(value)).label)
    if key.endswith("_fen") and isinstance(value, int | str) and str(value).lstrip("-").isdigit():
        return format_yuan_grouped(int(value))
    if key in ("period", "periods"):
        items = value if isinstance(value, list | tuple) else [value]
        return "、".join(period_words(v) for v in items)
    if key == "channel":
        return channel_words(str(value))
    if key == "action":
        return action_words(str(value))
    if key == "view":
        kind, _sep, rest = str(value).partition(":")
        label = VIEWS.get(kind)
        return f"{label}{'：' + rest if rest else ''}" if label is not None else str(value)
    if (
        actors is not None
        and isinstance(value, str)
        and value.partition(":")[0]
        in (
            "staff",
            "depositor",
        )
    ):
        return actors(value)
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value in _FLAGS:
        return str(_FLAGS[value])
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    return str(value)


def detail_rows(
    details: Any,
    actors: ActorWords | None = None,
    codes: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """An event's details as (label, value) rows, empty values left out. ``codes`` gives a
    caller's own words for a key's codes (a security case's channel and outcome)."""
    if not isinstance(details, Mapping):
        return [] if details in (None, "", {}) else [(_("详情"), str(details))]
    rows: list[tuple[str, str]] = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        label = DETAIL_LABELS.get(str(key))
        rows.append(
            (
                str(label) if label is not None else str(key),
                _value_words(str(key), value, actors, codes or {}),
            )
        )
    return rows


def detail_text(details: Any, actors: ActorWords | None = None) -> str:
    """The rows on one line, for an export cell: "所属年月：2020年11月；金额（元）：1,055.60"."""
    return "；".join(f"{label}：{value}" for label, value in detail_rows(details, actors))


# Sign-in methods, why a session ended, how online access came back (security cases).
SIGNIN_METHODS: dict[str, Promise] = {
    "password": gettext_lazy("密码"),
    "password+sms": gettext_lazy("密码 + 短信验证码"),
    "password+totp": gettext_lazy("密码 + 动态验证码"),
    "passkey": gettext_lazy("通行密钥"),
    "govapp": gettext_lazy("一部手机办事通"),
}
SESSION_ENDS: dict[str, Promise] = {
    "logout": gettext_lazy("本人退出"),
    "timeout": gettext_lazy("超时"),
    "freeze": gettext_lazy("网上业务冻结"),
    "self_freeze": gettext_lazy("本人冻结网上业务"),
    "password_change": gettext_lazy("修改密码"),
    "password_reset": gettext_lazy("重置密码"),
    "mobile_change": gettext_lazy("变更手机号"),
    "credentials_reset": gettext_lazy("登录凭证重置"),
    "revoked": gettext_lazy("本人注销设备"),
}
RESTORED_HOW: dict[str, Promise] = {
    "counter": gettext_lazy("柜台人证核验"),
    "online": gettext_lazy("网上核验（短信验证码及密码）"),
    "passkey": gettext_lazy("通行密钥"),
    "reverified": gettext_lazy("网上核验（短信验证码及密码）"),
}


def code_words(table: Mapping[str, Promise], code: str) -> str:
    """``code`` in words from one of the tables above; an unknown code as it is."""
    label = table.get(code)
    return str(label) if label is not None else code
