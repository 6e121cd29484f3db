"""Staff pages of security cases (信息泄露安全事件): the supervisors' and auditors' list with
each case's age and the untouched-for-a-working-day flag, the case page (investigation,
findings, the account freeze and its second person, the all-clear, closing), the 12329
agent's form for a phone report, and the counter's report and all-clear inside an ID-check
session. Each view parses, calls one service or selector, and renders; the services check
role, hall and state again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.calc.masking import mask_name
from hpf.cases.models import CaseChannel, CaseOutcome, CaseStatus, SecurityCase
from hpf.cases.selectors import case_investigation, case_list
from hpf.cases.services import KIND_LABELS as LEAK_KIND_LABELS
from hpf.cases.services import (
    case_close,
    case_freeze_propose,
    case_freezes_lapse,
    case_proposal_confirm,
    case_proposal_reject,
    case_record_findings,
    case_report,
    case_restore_online_at_counter,
    case_unfreeze_propose,
)
from hpf.channels.counter.views import in_session
from hpf.common import clock
from hpf.common.errors import DomainError, NotFound
from hpf.oversight.words import (
    DETAIL_LABELS,
    RESTORED_HOW,
    SESSION_ENDS,
    SIGNIN_METHODS,
    ActorWords,
    action_words,
    code_words,
    detail_rows,
)
from hpf.registry.models import Depositor, FreezeMode, IdCheckSession
from hpf.registry.services import id_lookup
from hpf.staff.access import forbidden, staff_actor, staff_of, staff_required
from hpf.staff.models import Role

FLASH = "hpf_cases_flash"


class HotlineForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("来电人身份证号"), max_length=18)
    name = forms.CharField(label=gettext_lazy("来电人姓名"), max_length=40)
    verified_by = forms.CharField(
        label=gettext_lazy("身份核实问题及回答（如：单位名称、最近缴存月份）"), max_length=200
    )
    statement = forms.CharField(
        label=gettext_lazy("来电人陈述"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("本人陈述"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


@never_cache
@staff_required(Role.SUPERVISOR, Role.AUDITOR)
def queue(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    if member.role == Role.SUPERVISOR:
        case_freezes_lapse()
    open_only = request.GET.get("all") != "1"
    rows = case_list(member, open_only=open_only)
    return render(
        request,
        "cases/queue.html",
        {
            "member": member,
            "rows": [(r, mask_name(r.case.depositor.name)) for r in rows],
            "open_only": open_only,
            "stale": sum(1 for r in rows if r.stale),
        },
    )


@never_cache
@staff_required(Role.SUPERVISOR, Role.AUDITOR)
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    member = staff_of(request)
    try:
        view = case_investigation(member, case_id, actor=staff_actor(request, Channel.BACKOFFICE))
    except NotFound as exc:
        return forbidden(request, exc.message, status=404)
    actors = ActorWords([e.actor for e in view.timeline + view.changes])
    codes: dict[str, Mapping[str, Any]] = {
        "channel": dict(CaseChannel.choices),
        "outcome": dict(CaseOutcome.choices),
        "kind": LEAK_KIND_LABELS,
        "how": RESTORED_HOW,
    }
    return render(
        request,
        "cases/detail.html",
        {
            "member": member,
            "v": view,
            "timeline": [
                {
                    "e": e,
                    "action": action_words(e.action),
                    "actor": actors(e.actor),
                    "details": [
                        (label, value)
                        for label, value in detail_rows(e.details, actors, codes)
                        if label != str(DETAIL_LABELS["case"])  # the page's own case
                    ],
                }
                for e in view.timeline
            ],
            "changes": [
                {"e": e, "action": action_words(e.action), "actor": actors(e.actor)}
                for e in view.changes
            ],
            "sign_ins": [
                {
                    "m": m,
                    "method": code_words(SIGNIN_METHODS, m.item.method),
                    "end": code_words(SESSION_ENDS, m.item.end_reason),
                }
                for m in view.sign_ins
            ],
            "restored_how": code_words(RESTORED_HOW, view.case.online_restored_how),
            "name": mask_name(view.case.depositor.name),
            "modes": FreezeMode.choices,
            "outcomes": CaseOutcome.choices,
            "flash": request.session.pop(FLASH, ""),
            "error": request.session.pop(FLASH + "_error", ""),
            "open": view.case.status == CaseStatus.OPEN,
        },
    )


@staff_required(Role.SUPERVISOR)
@require_POST
def act(request: HttpRequest, case_id: int, what: str) -> HttpResponse:
    """One action on the case; the outcome is shown on the case page."""
    member = staff_of(request)
    actor = staff_actor(request, Channel.BACKOFFICE)
    post = request.POST
    done = _("已办理。")
    try:
        if what == "findings":
            case_record_findings(
                case_id=case_id, member=member, findings=post.get("findings", ""), actor=actor
            )
        elif what == "freeze":
            case_freeze_propose(
                case_id=case_id,
                member=member,
                mode=post.get("mode", ""),
                reason=post.get("reason", ""),
                actor=actor,
            )
            done = _("冻结申请已提交，须由另一名审核员在时限内确认。")
        elif what == "unfreeze":
            case_unfreeze_propose(
                case_id=case_id, member=member, reason=post.get("reason", ""), actor=actor
            )
            done = _("解冻申请已提交，须由另一名审核员确认。")
        elif what == "confirm":
            case_proposal_confirm(
                proposal_id=int(post.get("proposal", "0") or 0), member=member, actor=actor
            )
            done = _("已确认，业务已生效。")
        elif what == "reject":
            case_proposal_reject(
                proposal_id=int(post.get("proposal", "0") or 0),
                member=member,
                note=post.get("note", ""),
                actor=actor,
            )
        elif what == "close":
            case_close(
                case_id=case_id,
                member=member,
                outcome=post.get("outcome", ""),
                note=post.get("note", ""),
                actor=actor,
            )
            done = _("案件已办结。")
        else:
            return forbidden(request, _("不支持的操作。"), status=404)
    except (DomainError, ValueError) as exc:
        request.session[FLASH + "_error"] = getattr(exc, "message", _("输入有误。"))
    else:
        request.session[FLASH] = done
    return redirect("cases:detail", case_id=case_id)


def _find(id_number: str, name: str) -> Depositor | None:
    try:
        parsed = parse_resident_id(id_number.strip().upper(), today=clock.today())
    except CalcError:
        return None
    person = Depositor.objects.filter(id_number_hash=id_lookup(parsed.number)).first()
    if person is None or person.name != name.strip():
        return None
    return person


@never_cache
@staff_required(Role.CLERK)
def hotline(request: HttpRequest) -> HttpResponse:
    """The 12329 agent records a phone report after asking the caller identity questions."""
    member = staff_of(request)
    form = HotlineForm(request.POST or None)
    error = ""
    case: SecurityCase | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = _find(data["id_number"], data["name"])
        if person is None:
            error = _("未找到与该身份证号和姓名相符的缴存职工，请核对后重新输入。")
        else:
            try:
                case = case_report(
                    depositor_id=person.pk,
                    channel=CaseChannel.HOTLINE,
                    statement=data["statement"],
                    verified_by=data["verified_by"],
                    member=member,
                    actor=staff_actor(request, Channel.HOTLINE),
                )
                form = HotlineForm()
            except DomainError as exc:
                error = exc.message
    return render(
        request,
        "cases/hotline.html",
        {"member": member, "form": form, "error": error, "case": case},
    )


@never_cache
@staff_required(Role.CLERK)
@in_session
def counter(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    """Inside an ID-check session: report a suspected leak, or give the all-clear (restore
    online access) on the person's open case."""
    member = staff_of(request)
    actor = staff_actor(request, Channel.COUNTER, idcheck=session.public_id)
    form = StatementForm(request.POST if request.POST.get("do") == "report" else None)
    error = flash = ""
    if request.method == "POST":
        try:
            if request.POST.get("do") == "report" and form.is_valid():
                case = case_report(
                    depositor_id=session.depositor_id,
                    channel=CaseChannel.COUNTER,
                    statement=form.cleaned_data["statement"],
                    idcheck=session,
                    member=member,
                    actor=actor,
                )
                flash = _("已受理，案件编号 %(no)s，已短信告知本人。") % {"no": case.number}
                form = StatementForm()
            elif request.POST.get("do") == "restore":
                case_restore_online_at_counter(
                    case_id=int(request.POST.get("case", "0") or 0),
                    member=member,
                    session=session,
                    actor=actor,
                )
                flash = _("本人网上业务已恢复。")
        except (DomainError, ValueError) as exc:
            error = getattr(exc, "message", _("输入有误。"))
    cases = SecurityCase.objects.filter(
        depositor_id=session.depositor_id, status=CaseStatus.OPEN
    ).order_by("-reported_at")
    return render(
        request,
        "cases/counter.html",
        {
            "member": member,
            "session": session,
            "person": session.depositor.name,
            "id_masked": session.depositor.id_number_masked,
            "tab": "cases",
            "form": form,
            "cases": cases,
            "error": error,
            "flash": flash,
        },
    )
