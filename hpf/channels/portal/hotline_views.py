"""The portal's page for the 12329 hotline query password (热线查询密码): set or change it
after proving the login password again (re-authentication, as for the other factors);
setting it also lifts a lock left by five wrong tries in a day."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hpf.channels.portal.auth import depositor_required, recently_authenticated
from hpf.common.errors import DomainError
from hpf.hotline.forms import HotlinePasswordForm
from hpf.hotline.services import hotline_password_set, hotline_password_status


@never_cache
@depositor_required
def hotline_password_view(request: HttpRequest) -> HttpResponse:
    if not recently_authenticated(request, float(settings.HPF_PORTAL_REAUTH_S) / 60):
        return HttpResponseRedirect(f"{reverse('portal:reauth')}?next={request.path}")
    actor = request.actor  # type: ignore[attr-defined]
    depositor_id = int(actor.ident.split(":")[1])
    has_password, locked = hotline_password_status(depositor_id)
    form = HotlinePasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            hotline_password_set(
                actor=actor, depositor_id=depositor_id, password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            error = exc.message
        else:
            request.session["hpf_flash"] = _("热线查询密码已设置。")
            return redirect("portal:security")
    elif request.method == "POST":
        error = " ".join(str(e) for e in form.non_field_errors()) or _("请按提示输入。")
    if locked:
        intro = _("您的热线查询因当日密码错误次数过多已锁定；设置新密码后即可恢复。")
    elif has_password:
        intro = _("拨打 12329 查询时需输入身份证号码和此密码。修改后旧密码立即失效。")
    else:
        intro = _("拨打 12329 查询余额和贷款时需输入身份证号码和此 6 位密码。")
    return render(
        request,
        "portal/identity/form.html",
        {
            "form": form,
            "title": _("热线查询密码"),
            "intro": intro,
            "submit": _("保存查询密码"),
            "error": error,
        },
        status=400 if error else 200,
    )
