"""Appointments (预约): counter slots with a capacity per hall and slot, home visits with an
address and a reason, the hall's staff confirming, rescheduling, completing and cancelling,
and the depositor told of each change."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.appointments.models import AppointmentStatus
from hpf.appointments.selectors import appointment_queue, appointments_for
from hpf.appointments.services import (
    SlotFull,
    appointment_cancel,
    appointment_complete,
    appointment_confirm,
    appointment_request,
    appointment_reschedule,
)
from hpf.audit.services import Actor
from hpf.common.clock import BUSINESS_TZ
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.common.models import Notification

pytestmark = pytest.mark.django_db

MONDAY_10 = dt.datetime(2026, 11, 16, 10, 0, tzinfo=BUSINESS_TZ)


def me(account) -> Actor:
    return Actor(f"depositor:{account.depositor_id}", "web")


def staff(member) -> Actor:
    return Actor(f"staff:{member.user_id}", "backoffice")


def book(account, hall, at=MONDAY_10, **kw):
    return appointment_request(
        me(account),
        account_id=account.pk,
        kind=kw.pop("kind", "COUNTER"),
        hall_id=hall.pk,
        slot_start=at,
        business=kw.pop("business", "提取"),
        **kw,
    )


def test_capacity_per_hall_and_slot_is_enforced(
    owner, other, open_account, employer, halls, settings, unchanged
):
    settings.HPF_APPOINTMENT_CAPACITY = 2
    third = open_account(employer, 3)
    book(owner, halls[0])
    book(other, halls[0])
    with unchanged(third.pk), pytest.raises(SlotFull):
        book(third, halls[0])
    book(third, halls[1])  # another hall's slot is its own
    book(third, halls[0], MONDAY_10 + dt.timedelta(minutes=30))  # and the next slot


def test_a_cancelled_booking_frees_its_place(owner, other, halls, settings, clerk):
    settings.HPF_APPOINTMENT_CAPACITY = 1
    first = book(owner, halls[0])
    with pytest.raises(SlotFull):
        book(other, halls[0])
    appointment_cancel(
        appointment_id=first.pk, member=clerk, reason="本人来电取消", actor=staff(clerk)
    )
    book(other, halls[0])


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(2026, 11, 14, 10, 0, tzinfo=BUSINESS_TZ),  # past
        dt.datetime(2026, 11, 21, 10, 0, tzinfo=BUSINESS_TZ),  # Saturday
        dt.datetime(2026, 11, 16, 10, 10, tzinfo=BUSINESS_TZ),  # not a slot start
        dt.datetime(2026, 11, 16, 8, 0, tzinfo=BUSINESS_TZ),  # before opening
        dt.datetime(2026, 11, 16, 16, 45, tzinfo=BUSINESS_TZ),  # runs past closing
        dt.datetime(2027, 3, 1, 10, 0, tzinfo=BUSINESS_TZ),  # too far ahead
    ],
)
def test_bad_slots_are_refused(owner, halls, at, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        book(owner, halls[0], at)


def test_a_home_visit_needs_address_and_reason(owner, halls):
    with pytest.raises(InvalidInput):
        book(owner, halls[0], kind="HOME_VISIT")
    visit = book(
        owner,
        halls[0],
        MONDAY_10 + dt.timedelta(minutes=5),
        kind="HOME_VISIT",
        address="五华区某路 1 号",
        reason="年老行动不便",
    )
    assert visit.status == AppointmentStatus.REQUESTED


def test_a_depositor_books_only_for_themself(owner, other, halls):
    with pytest.raises(NotFound):
        appointment_request(
            me(owner),
            account_id=other.pk,
            kind="COUNTER",
            hall_id=halls[0].pk,
            slot_start=MONDAY_10,
            business="提取",
        )


def test_staff_handle_the_halls_bookings(owner, halls, clerk, make_staff, settings):
    settings.HPF_APPOINTMENT_CAPACITY = 1
    a = book(owner, halls[0])
    stranger = make_staff("clerk", hall=halls[1])
    assert list(appointment_queue(stranger)) == []
    with pytest.raises(NotFound):
        appointment_confirm(appointment_id=a.pk, member=stranger, actor=staff(stranger))
    with pytest.raises(InvalidTransition):
        appointment_complete(appointment_id=a.pk, member=clerk, note="", actor=staff(clerk))
    appointment_confirm(appointment_id=a.pk, member=clerk, actor=staff(clerk))
    later = MONDAY_10 + dt.timedelta(hours=1)
    appointment_reschedule(
        appointment_id=a.pk, member=clerk, slot_start=later, reason="窗口调整", actor=staff(clerk)
    )
    appointment_complete(appointment_id=a.pk, member=clerk, note="已办理", actor=staff(clerk))
    [mine] = appointments_for(me(owner), owner.pk)
    assert (mine.status, mine.slot_start) == (AppointmentStatus.COMPLETED, later)
    texts = (
        Notification.objects.filter(depositor_id=owner.depositor_id)
        .order_by("pk")
        .values_list("text", flat=True)
    )
    assert len(texts) == 4 and "已办结" in list(texts)[-1]
