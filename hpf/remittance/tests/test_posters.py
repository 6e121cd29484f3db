"""Chunks posted on several connections at once (``batch._post_in_order``): results taken in
the files' order, never more than ``posters`` at once, one employer's lists never at once, an
error raised after the others finish; and ``import-remittance --posters 0`` refused. The
posting itself is a stand-in that records when each group ran; the real posting on two
connections is ``test_kill.py`` and ``test_two_months_at_once`` (PostgreSQL), which must end
exactly as the single path ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hpf.remittance.batch import Prepared, _post_in_order, _Posted
from hpf.remittance.validate import Header


def lst(unit: str, uscc: str = "") -> Prepared:
    header = Header(unit, uscc, "REMITTANCE", 202606, 1, 0, 0, 0, 1)
    return Prepared(Path(f"{unit}-{uscc}.csv"), "", 0, header, [], 1, [])


class Recorder:
    """A stand-in for posting a group: sleeps, and records which groups ran at once."""

    def __init__(self, seconds: float = 0.05, fail: int | None = None) -> None:
        self.seconds = seconds
        self.fail = fail
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.overlaps: list[frozenset[int]] = []
        self.finished: list[int] = []
        self.most = 0

    def __call__(self, group: list[Prepared]) -> _Posted:
        index = int(group[0].path.stem.split("g")[1].split("-")[0])
        with self.lock:
            self.running.add(index)
            self.most = max(self.most, len(self.running))
            self.overlaps.append(frozenset(self.running))
        # The first groups take longest, so that later ones would finish first if let.
        time.sleep(self.seconds * (3 if index < 2 else 1))
        with self.lock:
            self.running.discard(index)
            self.finished.append(index)
        if index == self.fail:
            raise RuntimeError(f"group {index} failed")
        posted = _Posted()
        posted.single_s = float(index)
        return posted


def groups(*units: tuple[str, ...]) -> list[list[Prepared]]:
    """Group i of lists named by unit numbers; the group's index is in its first path."""
    made = []
    for i, names in enumerate(units):
        group = [lst(f"g{i}-{names[0]}")] + [lst(name) for name in names[1:]]
        group[0].header.unit_no = names[0]  # type: ignore[union-attr]
        made.append(group)
    return made


def test_results_are_taken_in_order_with_at_most_posters_at_once():
    post = Recorder()
    taken: list[float] = []
    _post_in_order(
        iter(groups(*[(f"u{i}",) for i in range(6)])),
        2,
        post,
        lambda p: taken.append(p.single_s),
    )
    assert taken == [0, 1, 2, 3, 4, 5]
    assert post.most == 2
    assert any(len(o) == 2 for o in post.overlaps), "two groups should have run at once"


def test_one_employers_lists_never_post_at_once_and_keep_their_order():
    # Groups 0 and 1 share unit u1; 2 and 3 share a credit code under different unit numbers.
    made = groups(("a0", "u1"), ("u1",), ("b0",), ("b1",))
    made[2][0].header.uscc = "C9"  # type: ignore[union-attr]
    made[3][0].header.uscc = "C9"  # type: ignore[union-attr]
    post = Recorder()
    taken: list[float] = []
    _post_in_order(iter(made), 3, post, lambda p: taken.append(p.single_s))
    assert taken == [0, 1, 2, 3]
    for overlap in post.overlaps:
        assert not {0, 1} <= overlap
        assert not {2, 3} <= overlap
    assert post.finished.index(0) < post.finished.index(1)
    assert post.finished.index(2) < post.finished.index(3)


def test_an_error_is_raised_after_the_groups_under_way_finish():
    post = Recorder(fail=1)
    taken: list[float] = []
    with pytest.raises(RuntimeError, match="group 1 failed"):
        _post_in_order(
            iter(groups(*[(f"u{i}",) for i in range(5)])),
            2,
            post,
            lambda p: taken.append(p.single_s),
        )
    assert taken == [0]
    assert not post.running, "every group started has finished (committed or rolled back)"


def test_one_poster_posts_one_group_at_a_time():
    post = Recorder(seconds=0.01)
    _post_in_order(iter(groups(*[(f"u{i}",) for i in range(4)])), 1, post, lambda p: None)
    assert post.most == 1


@pytest.mark.django_db
def test_the_command_refuses_fewer_than_one_poster(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from hpf.remittance.models import RemittanceList

    with pytest.raises(CommandError, match="--posters must be 1 or more"):
        call_command("import_remittance", str(tmp_path), posters=0)
    assert not RemittanceList.objects.exists()
