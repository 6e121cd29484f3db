"""The depositor password policy (OWASP ASVS 4.0.3 L2 §2.1 and MLPS 2.0 level 3 §8.1.4.1a).

* length 12–128 characters, every printable character allowed, nothing truncated (ASVS 2.1.1,
  2.1.2, 2.1.4);
* complexity (MLPS "口令具有复杂度要求"): at least three of the four classes (lower case,
  upper case, digits, other) — or a passphrase of 16 characters or more, whose length gives
  more guessing resistance than the classes do, so ASVS 2.1.9's "no composition rules" holds
  for everyone willing to type a long phrase;
* not on a breached / common password list (ASVS 2.1.7), checked offline: Django's list of
  20,000 plus a vendored list of passwords common in China;
* not built on the depositor's own ID number, birth date or mobile;
* not easy to guess by pattern: the zxcvbn estimator (Dropbox's, offline) must give at least
  ``MIN_SCORE`` (3 of 4: more than 10^8 guesses), which refuses what the lists miss —
  repeated or sequential characters (``1111111111111111``), a common word with substitutions
  and a year (``P@ssw0rd2026``), keyboard patterns, dates;
* no periodic forced change (ASVS 2.1.10); MLPS's "定期更换" is met by compensating controls:
  a second factor on every sign-in, a forced change on suspected compromise (freeze, reset).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.utils.translation import gettext, gettext_lazy
from zxcvbn import zxcvbn

from hpf.common.errors import InvalidInput

MIN_LENGTH = 12
PASSPHRASE_LENGTH = 16
MAX_LENGTH = 128
MIN_SCORE = 3
# zxcvbn refuses longer inputs; the first 72 characters decide (a weak start stays weak).
_ESTIMATE_CHARS = 72
_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^a-zA-Z0-9]"),
)
POLICY_TEXT = gettext_lazy(
    "密码至少 12 位：12–15 位时须包含大写字母、小写字母、数字、符号中的至少三类；"
    "16 位及以上的短语不限字符类别。不能使用常见或容易猜到的密码（如重复字符、单词加年份），"
    "也不能包含身份证号、出生日期或手机号。"
)


@cache
def _common() -> frozenset[str]:
    vendored = Path(__file__).with_name("data") / "common-passwords-zh.txt"
    lines = vendored.read_text(encoding="utf-8").splitlines()
    ours = {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(ours | set(CommonPasswordValidator().passwords))


def password_problems(password: str, *, personal: tuple[str, ...] = ()) -> list[str]:
    """Every reason ``password`` is refused (empty: accepted), in plain Chinese."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(gettext("密码至少需要 12 位。"))
    if len(password) > MAX_LENGTH:
        problems.append(gettext("密码不能超过 128 位。"))
    classes = sum(1 for pattern in _CLASSES if pattern.search(password))
    if MIN_LENGTH <= len(password) < PASSPHRASE_LENGTH and classes < 3:
        problems.append(
            gettext(
                "12–15 位的密码须包含大写字母、小写字母、数字、符号中的至少三类（或使用 16 位以上的短语）。"
            )
        )
    common = password.lower() in _common() or password.strip().lower() in _common()
    if common:
        problems.append(gettext("这是常见或已泄露的密码，请换一个。"))
    elif MIN_LENGTH <= len(password) <= MAX_LENGTH and (
        zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[v for v in personal if v])["score"]
        < MIN_SCORE
    ):
        problems.append(
            gettext(
                "密码太容易被猜到（如重复或连续的字符、常见单词加年份、键盘上相邻的按键），"
                "请换一个更长、更不规律的密码。"
            )
        )
    compact = password.lower()
    for value in personal:
        if value and len(value) >= 6 and value.lower() in compact:
            problems.append(gettext("密码不能包含身份证号、出生日期或手机号。"))
            break
    return problems


def check_password_policy(password: str, *, personal: tuple[str, ...] = ()) -> None:
    problems = password_problems(password, personal=personal)
    if problems:
        raise InvalidInput(" ".join(problems))
