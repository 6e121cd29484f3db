"""The counter sets a depositor's 12329 hotline query password: the person, identified in
the clerk's live ID-check session (人证核验), keys the six digits on the counter's PIN pad
(the form's two fields); this also lifts a lock left by five wrong tries in a day."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hpf.audit.models import Channel
from hpf.channels.counter.views import _page, in_session
from hpf.common.errors import DomainError
from hpf.hotline.forms import HotlinePasswordForm
from hpf.hotline.services import hotline_password_set
from hpf.registry.models import IdCheckSession
from hpf.staff.access import staff_actor, staff_required
from hpf.staff.models import Role


@never_cache
@staff_required(Role.CLERK)
@in_session
def hotline_password(
    request: HttpRequest, session: IdCheckSession, account_id: int
) -> HttpResponse:
    form = HotlinePasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            hotline_password_set(
                actor=staff_actor(request, Channel.COUNTER, idcheck=session.public_id),
                depositor_id=session.depositor_id,
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("counter:overview", sid=session.public_id)
    elif request.method == "POST":
        error = " ".join(str(e) for e in form.non_field_errors()) or _("请按提示输入。")
    response = _page(
        request,
        session,
        "overview",
        "counter/form.html",
        form=form,
        error=error,
        heading=_("设置热线查询密码"),
        submit=_("保存"),
    )
    if error:
        response.status_code = 400
    return response
