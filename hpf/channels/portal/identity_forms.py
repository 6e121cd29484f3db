"""Forms of the portal's sign-in, registration, reset and security pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hpf.identity.passwords import POLICY_TEXT

CODE_WIDGET = forms.TextInput(
    attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
)


class LoginForm(forms.Form):
    login = forms.CharField(
        label=_("身份证号或手机号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProofLoginForm(LoginForm):
    """The sign-in while the login is under attack: the SMS code to the mobile on record too."""

    code = forms.CharField(
        label=_("短信验证码（6 位数字）"), min_length=6, max_length=6, widget=CODE_WIDGET
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码（6 位数字）"), min_length=6, max_length=6, widget=CODE_WIDGET
    )


class RegisterForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        help_text=_("18 位居民身份证号码"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=60)
    bank_card = forms.CharField(
        label=_("银行卡号"),
        max_length=30,
        help_text=_("在公积金中心登记的本人银行卡"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=256,
        help_text=POLICY_TEXT,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class RegisterFinishForm(CodeForm, NewPasswordForm):
    email = forms.EmailField(
        label=_("电子邮箱（选填）"),
        required=False,
        help_text=_("用于找回密码和接收通知，填写后须验证"),
    )


class ResetStartForm(forms.Form):
    login = forms.CharField(label=_("身份证号或手机号"), max_length=40)
    channel = forms.ChoiceField(
        label=_("验证码发送到"),
        choices=[("sms", _("登记的手机")), ("email", _("已验证的电子邮箱"))],
        widget=forms.RadioSelect,
        initial="sms",
    )


class ResetFinishForm(CodeForm, NewPasswordForm):
    pass


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("电子邮箱"))


class MobileForm(forms.Form):
    mobile = forms.CharField(label=_("新手机号"), max_length=11, min_length=11)


class UnfreezeStartForm(RegisterForm):
    pass


class UnfreezeFinishForm(CodeForm):
    """The SMS code plus the password or, for those who set one up, the TOTP code."""

    password = forms.CharField(
        label=_("登录密码"),
        strip=False,
        max_length=256,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    totp = forms.CharField(
        label=_("或：身份验证器动态口令（6 位数字）"),
        min_length=6,
        max_length=6,
        required=False,
        widget=CODE_WIDGET,
    )

    passkey = forms.BooleanField(label=_("或：改用通行密钥（指纹 / 面容）确认"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("password") and not data.get("totp") and not data.get("passkey"):
            raise forms.ValidationError(_("请输入登录密码或身份验证器动态口令，或改用通行密钥。"))
        return data


class EmptyForm(forms.Form):
    """A page whose only action is a button outside the form (the passkey step)."""
