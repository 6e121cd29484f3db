"""Forms of the disputes and appointments pages (counter and back office)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hpf.appointments.models import AppointmentKind
from hpf.calc.errors import CalcError
from hpf.calc.periods import parse_period
from hpf.disputes.models import DisputeKind
from hpf.oversight.words import period_words


class PeriodsField(forms.CharField):
    """Months as "202609, 202610" (or 2026-09)."""

    def clean(self, value: Any) -> list[int]:
        text = super().clean(value)
        out = []
        for part in str(text).replace("，", ",").replace(" ", ",").split(","):
            if part.strip():
                try:
                    out.append(parse_period(part.strip()))
                except CalcError as exc:
                    raise forms.ValidationError(_("所属年月格式应为 YYYYMM。")) from exc
        if not out:
            raise forms.ValidationError(_("请填写所属年月。"))
        return out


class DisputeForm(forms.Form):
    kind = forms.ChoiceField(label=_("问题类型"), choices=DisputeKind.choices)
    periods = PeriodsField(label=_("所属年月（如 202609，多个用逗号分隔）"), max_length=200)
    description = forms.CharField(
        label=_("问题描述"), max_length=500, widget=forms.Textarea({"rows": 3})
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class CorrectionForm(forms.Form):
    reverse_entry = forms.TypedChoiceField(
        label=_("冲正的错误缴存分录"), coerce=int, required=False, empty_value=None, choices=()
    )
    period = forms.TypedChoiceField(
        label=_("补记所属年月"), coerce=int, required=False, empty_value=None, choices=()
    )
    base = forms.DecimalField(
        label=_("补记缴存基数（元，空则按账户基数）"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    reason = forms.CharField(label=_("更正原因"), max_length=150)

    def __init__(
        self, *args: Any, entries: list[tuple[int, str]], periods: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reverse_entry"].choices = [("", "—"), *entries]  # type: ignore[attr-defined]
        self.fields["period"].choices = [("", "—"), *[(p, period_words(p)) for p in periods]]  # type: ignore[attr-defined]


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("预约类型"), choices=AppointmentKind.choices)
    hall = forms.TypedChoiceField(label=_("管理部"), coerce=int, choices=())
    slot_start = forms.DateTimeField(
        label=_("预约时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    business = forms.CharField(label=_("办理事项"), max_length=100)
    address = forms.CharField(label=_("上门地址（上门服务）"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("不便到厅的原因（上门服务，如年老、残疾）"), max_length=200, required=False
    )

    def __init__(self, *args: Any, halls: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hall"].choices = halls  # type: ignore[attr-defined]


class RescheduleForm(forms.Form):
    slot_start = forms.DateTimeField(
        label=_("新的预约时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(label=_("改约原因"), max_length=200)
