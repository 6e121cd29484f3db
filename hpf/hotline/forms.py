"""The form that sets a hotline query password, in the portal and at the counter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def _pin(label: Any, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=True,
        min_length=6,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"autocomplete": autocomplete, "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
    )


class HotlinePasswordForm(forms.Form):
    password = _pin(_("新的热线查询密码（6 位数字）"), "new-password")
    repeat = _pin(_("再次输入"), "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("repeat"):
            raise forms.ValidationError(_("两次输入的查询密码不一致。"))
        return data
