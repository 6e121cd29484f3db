"""The counter shows whether the person's online access (网上业务) is frozen — by the person
on the portal or by the centre on a report — and restores it for the person of the clerk's
live ID-check session (人证核验), after the clerk confirms. Audited as ``portal.unfreeze``
(how "counter") under the clerk, with the session's id; the person's open security cases are
marked restored."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from hpf.audit.models import Channel
from hpf.cases.services import online_access_restore_at_counter
from hpf.channels.counter.views import _page, in_session
from hpf.common.errors import DomainError
from hpf.identity.selectors import online_access_of
from hpf.registry.models import IdCheckSession
from hpf.staff.access import staff_actor, staff_of, staff_required
from hpf.staff.models import Role


@never_cache
@staff_required(Role.CLERK)
@in_session
def online_access(request: HttpRequest, session: IdCheckSession, account_id: int) -> HttpResponse:
    """GET: the state and the confirmation; POST: restore."""
    error = ""
    restored: int | None = None
    if request.method == "POST":
        try:
            restored = online_access_restore_at_counter(
                member=staff_of(request),
                session=session,
                actor=staff_actor(request, Channel.COUNTER, idcheck=session.public_id),
            )
        except DomainError as exc:
            error = exc.message
    response = _page(
        request,
        session,
        "overview",
        "counter/online_access.html",
        online=online_access_of(session.depositor_id),
        restored=restored,
        error=error,
    )
    if error:
        response.status_code = 400
    return response
