"""The service-hall counter console (柜台): ID-check sessions, a depositor's account pages,
four-eyes freeze / unfreeze proposals and the supervisor's queue.

Every view is behind ``staff_required`` with its role. The account pages take the session's
opaque id from the URL (never an ID number or an account id), resolve it to a live session
of the signed-in clerk, and read through the same audited selectors as every channel, with
an actor that names the session — ``hpf.registry.access`` checks it again on every read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.appointments.services import appointment_request
from hpf.approvals.models import Proposal, ProposalKind, ProposalState
from hpf.approvals.selectors import hall_queue, status_change
from hpf.approvals.services import proposal_approve, proposal_reject, proposal_submit
from hpf.audit.models import Channel
from hpf.calc.masking import mask_name
from hpf.cases.services import KIND_LABELS as LEAK_KIND_LABELS
from hpf.cases.services import LEAK_FREEZE, LEAK_UNFREEZE
from hpf.certificates.pdf import certificate_pdf
from hpf.certificates.selectors import payoff_loans
from hpf.certificates.services import certificate_issue
from hpf.channels.casework.forms import AppointmentForm, DisputeForm
from hpf.channels.counter.forms import (
    CertificateForm,
    DecisionForm,
    FreezeProposalForm,
    IdCheckForm,
    UnfreezeProposalForm,
)
from hpf.common.errors import DomainError, InvalidInput
from hpf.disputes.selectors import correction_preview
from hpf.disputes.services import dispute_file
from hpf.identity.selectors import online_access_of
from hpf.interest.selectors import interest_history
from hpf.ledger.selectors import account_movements, account_overview
from hpf.loans.selectors import loan_list
from hpf.registry.idcheck import (
    IdCheckRequired,
    idcheck_account_id,
    idcheck_close,
    idcheck_live,
    idcheck_open,
    idcheck_sessions_of,
)
from hpf.registry.models import IdCheckSession
from hpf.staff.access import forbidden, staff_actor, staff_of, staff_required
from hpf.staff.models import Role, ServiceHall
from hpf.withdrawals.selectors import withdrawal_list

DEPOSITS_PAGE = 20
SessionView = Callable[..., HttpResponse]


@never_cache
@staff_required(Role.CLERK)
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, IdCheckForm(), "")


def _home(request: HttpRequest, form: IdCheckForm, error: str, status: int = 200) -> HttpResponse:
    sessions = [
        {"session": s, "name": mask_name(s.depositor.name)}
        for s in idcheck_sessions_of(request.user.pk)
    ]
    return render(
        request,
        "counter/home.html",
        {"member": staff_of(request), "form": form, "error": error, "sessions": sessions},
        status=status,
    )


@staff_required(Role.CLERK)
@require_POST
def open_session(request: HttpRequest) -> HttpResponse:
    form = IdCheckForm(request.POST)
    if not form.is_valid():
        return _home(request, form, _("请按提示补全核验信息。"), status=400)
    try:
        session = idcheck_open(
            member=staff_of(request),
            id_number=form.cleaned_data["id_number"],
            name=form.cleaned_data["name"],
            person_matches_card=form.cleaned_data["person_matches_card"],
            purpose=form.cleaned_data["purpose"],
            purpose_note=form.cleaned_data["purpose_note"],
            actor=staff_actor(request, Channel.COUNTER),
        )
    except DomainError as exc:
        return _home(request, form, exc.message, status=400)
    return redirect("counter:overview", sid=session.public_id)


def in_session(view: SessionView) -> SessionView:
    """Resolve ``sid`` to a live ID-check session of this clerk, or refuse with 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, sid: str, *args: Any, **kwargs: Any) -> HttpResponse:
        session = idcheck_live(sid, request.user.pk)
        if session is None:
            return forbidden(request, IdCheckRequired.default_message)
        account_id = idcheck_account_id(session)
        if account_id is None:
            return forbidden(request, _("该职工没有个人账户。"), status=404)
        try:
            return view(request, session, account_id, *args, **kwargs)
        except IdCheckRequired as exc:
            return forbidden(request, exc.message)

    return wrapped


def _page(
    request: HttpRequest, session: IdCheckSession, tab: str, template: str, **context: Any
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "member": staff_of(request),
            "session": session,
            "person": session.depositor.name,
            "id_masked": session.depositor.id_number_masked,
            "tab": tab,
            **context,
        },
    )


def _reader(request: HttpRequest, session: IdCheckSession) -> dict[str, Any]:
    return {
        "actor": staff_actor(request, Channel.COUNTER, idcheck=session.public_id),
        "purpose": session.purpose_text,
    }


@never_cache
@staff_required(Role.CLERK)
@in_session
def overview(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    view = account_overview(account_id=account_id, **_reader(request, session))
    return _page(
        request,
        session,
        "overview",
        "counter/overview.html",
        view=view,
        online=online_access_of(session.depositor_id),
    )


@never_cache
@staff_required(Role.CLERK)
@in_session
def deposits(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    raw_year = request.GET.get("year", "")
    raw_page = request.GET.get("page", "1")
    year = int(raw_year) if raw_year.isdigit() and 1990 <= int(raw_year) <= 2100 else None
    page_no = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1
    try:
        page = account_movements(
            account_id=account_id,
            year=year,
            page=page_no,
            page_size=DEPOSITS_PAGE,
            **_reader(request, session),
        )
    except InvalidInput:
        page = account_movements(
            account_id=account_id, page_size=DEPOSITS_PAGE, **_reader(request, session)
        )
    pages = max(1, -(-page.total // DEPOSITS_PAGE))
    return _page(
        request,
        session,
        "deposits",
        "counter/deposits.html",
        page=page,
        pages=pages,
        year=year,
        years=page.years,
        prev_page=page.page - 1 if page.page > 1 else None,
        next_page=page.page + 1 if page.page < pages else None,
    )


@never_cache
@staff_required(Role.CLERK)
@in_session
def interest(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    years = interest_history(account_id=account_id, **_reader(request, session))
    return _page(request, session, "interest", "counter/interest.html", years=years)


@never_cache
@staff_required(Role.CLERK)
@in_session
def withdrawals(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    items = withdrawal_list(account_id=account_id, **_reader(request, session))
    return _page(request, session, "withdrawals", "counter/withdrawals.html", items=items)


@never_cache
@staff_required(Role.CLERK)
@in_session
def loans(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    items = loan_list(account_id=account_id, **_reader(request, session))
    return _page(request, session, "loans", "counter/loans.html", items=items)


@staff_required(Role.CLERK)
@in_session
@require_POST
def close(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    idcheck_close(session=session, actor=staff_actor(request, Channel.COUNTER))
    return redirect("counter:home")


@never_cache
@staff_required(Role.CLERK)
@in_session
def propose(
    request: HttpRequest, session: IdCheckSession, account_id: int, kind: str
) -> HttpResponse:
    """A freeze or unfreeze proposal for the depositor of this session (四眼原则)."""
    kind = kind.upper()
    form: FreezeProposalForm | UnfreezeProposalForm
    if kind == ProposalKind.FREEZE:
        form = FreezeProposalForm(request.POST or None)
    elif kind == ProposalKind.UNFREEZE:
        form = UnfreezeProposalForm(request.POST or None)
    else:
        return forbidden(request, _("不支持的申请类型。"), status=404)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal_submit(
                member=staff_of(request),
                session=session,
                kind=kind,
                reason=data["reason"],
                ground=data.get("ground", ""),
                params={"mode": data["mode"]} if "mode" in data else {},
                actor=staff_actor(request, Channel.COUNTER, idcheck=session.public_id),
            )
        except DomainError as exc:
            error = exc.message
        else:
            return _page(
                request,
                session,
                "overview",
                "counter/proposed.html",
                kind_label=ProposalKind(kind).label,
            )
    return _page(
        request,
        session,
        "overview",
        "counter/propose.html",
        form=form,
        error=error,
        kind=kind,
        kind_label=ProposalKind(kind).label,
    )


def _kind_words(p: Proposal) -> str:
    label = LEAK_KIND_LABELS.get(p.kind)
    return str(label) if label is not None else str(p.get_kind_display())


def _what_changes(p: Proposal) -> dict[str, Any]:
    """What approving ``p`` will change, in money, for the supervisor deciding it."""
    if p.kind == ProposalKind.CORRECTION:
        return {"correction": correction_preview(p)}
    if p.kind in (ProposalKind.FREEZE, LEAK_FREEZE):
        return {"status": status_change(p, freezes=True)}
    if p.kind in (ProposalKind.UNFREEZE, LEAK_UNFREEZE):
        return {"status": status_change(p, freezes=False)}
    return {}


@never_cache
@staff_required(Role.SUPERVISOR)
def approvals(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    pending = [
        {
            "p": p,
            "name": mask_name(p.account.depositor.name),
            "kind": _kind_words(p),
            **_what_changes(p),
        }
        for p in hall_queue(member)
    ]
    decided = [
        {"p": p, "name": mask_name(p.account.depositor.name), "kind": _kind_words(p)}
        for state in (ProposalState.APPROVED, ProposalState.REJECTED)
        for p in hall_queue(member, state=state)[:10]
    ]
    return render(
        request,
        "counter/approvals.html",
        {
            "member": member,
            "pending": pending,
            "decided": decided,
            "form": DecisionForm(),
            "done": request.GET.get("done", ""),
            "error": request.session.pop("hpf_counter_error", ""),
        },
    )


@staff_required(Role.SUPERVISOR)
@require_POST
def decide(request: HttpRequest, proposal_id: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        return forbidden(request, _("不支持的操作。"), status=404)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    member = staff_of(request)
    actor = staff_actor(request, Channel.COUNTER)
    try:
        if decision == "approve":
            proposal_approve(proposal_id=proposal_id, member=member, note=note, actor=actor)
        else:
            proposal_reject(proposal_id=proposal_id, member=member, note=note, actor=actor)
    except DomainError as exc:
        request.session["hpf_counter_error"] = exc.message
        return HttpResponseRedirect(reverse("counter:approvals"), status=303)
    return HttpResponseRedirect(f"{reverse('counter:approvals')}?done={decision}", status=303)


@never_cache
@staff_required(Role.CLERK)
@in_session
def certificates(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    """Issue and print (download) a signed certificate for the person of this session."""
    reader = _reader(request, session)
    loans = payoff_loans(reader["actor"], account_id, purpose=session.purpose_text)
    form = CertificateForm(
        request.POST or None, loans=loans, initial={"purpose": session.purpose_text}
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The service takes from these only the inputs the kind's registry entry names.
            cert = certificate_issue(
                reader["actor"],
                account_id=account_id,
                kind=data["kind"],
                purpose=data["purpose"],
                hall=session.hall.name,
                date_from=data["date_from"],
                date_to=data["date_to"],
                loan_id=data["loan"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{cert.serial}.pdf"'
            return response
    elif request.method == "POST":
        error = _("请按提示补全证明信息。")
    return _page(
        request,
        session,
        "overview",
        "counter/certificates.html",
        form=form,
        error=error,
        has_loans=bool(loans),
    )


@never_cache
@staff_required(Role.CLERK)
@in_session
def file_dispute(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    """The depositor in front of the clerk reports a missing or wrong deposit (核查更正)."""
    form = DisputeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            d = dispute_file(
                _reader(request, session)["actor"],
                account_id=account_id,
                periods=form.cleaned_data["periods"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("casework:dispute", dispute_id=d.pk)
    return _page(
        request,
        session,
        "overview",
        "counter/form.html",
        form=form,
        error=error,
        heading=_("受理核查更正"),
        submit=_("提交"),
    )


@never_cache
@staff_required(Role.CLERK)
@in_session
def book_appointment(
    request: HttpRequest, session: IdCheckSession, account_id: int
) -> HttpResponse:
    """A counter time or a home visit booked for the person of this session."""
    halls = list(ServiceHall.objects.order_by("code").values_list("pk", "name"))
    form = AppointmentForm(request.POST or None, halls=halls, initial={"hall": session.hall_id})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment_request(
                _reader(request, session)["actor"],
                account_id=account_id,
                kind=data["kind"],
                hall_id=data["hall"],
                slot_start=data["slot_start"],
                business=data["business"],
                address=data["address"],
                reason=data["reason"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("casework:appointments")
    return _page(
        request,
        session,
        "overview",
        "counter/form.html",
        form=form,
        error=error,
        heading=_("代为预约"),
        submit=_("提交预约"),
    )
