"""Counter forms: the ID check (人证核验) and a four-eyes proposal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hpf.approvals.models import FreezeGround
from hpf.certificates.kinds import kind_choices
from hpf.registry.models import FreezeMode, IdCheckPurpose


class IdCheckForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=22,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "id_number_help",
            }
        ),
        help_text=_("18 位，可读卡或手工输入；系统校验最后一位校验码。"),
    )
    name = forms.CharField(label=_("姓名"), max_length=60)
    purpose = forms.ChoiceField(label=_("办理用途"), choices=IdCheckPurpose.choices)
    purpose_note = forms.CharField(label=_("用途说明（可选）"), max_length=100, required=False)
    person_matches_card = forms.BooleanField(
        label=_("已核对：来人与身份证件照片、信息一致（人证一致）"), required=True
    )


class FreezeProposalForm(forms.Form):
    ground = forms.ChoiceField(label=_("冻结依据"), choices=FreezeGround.choices)
    mode = forms.ChoiceField(label=_("冻结方式"), choices=FreezeMode.choices)
    reason = forms.CharField(
        label=_("原因（如协助执行通知书文号）"), max_length=200, widget=forms.Textarea({"rows": 3})
    )


class UnfreezeProposalForm(forms.Form):
    reason = forms.CharField(
        label=_("解冻原因（如解除冻结通知书文号）"),
        max_length=200,
        widget=forms.Textarea({"rows": 3}),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("证明类型"), choices=kind_choices)
    date_from = forms.DateField(
        label=_("明细起始日期（账户明细单）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("明细截止日期（账户明细单）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    loan = forms.TypedChoiceField(
        label=_("已结清贷款（贷款结清证明）"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=(),
    )
    purpose = forms.CharField(label=_("证明用途"), max_length=200)

    def __init__(self, *args: Any, loans: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        if not loans:
            # Nothing to pick: the page says why there is no payoff certificate.
            del self.fields["loan"]
        elif len(loans) == 1:
            # The one paid-off loan is the only possible answer: chosen for the clerk.
            self.fields["loan"].choices = list(loans)  # type: ignore[attr-defined]
            self.fields["loan"].initial = loans[0][0]
            self.fields["loan"].label = _("已结清贷款（贷款结清证明，唯一一笔已选定）")
        else:
            self.fields["loan"].choices = [("", "—"), *loans]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("loan", None)
        return data
