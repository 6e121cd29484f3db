"""The password policy: ASVS L2 length and breach checks, MLPS complexity as three classes
for 12–15 characters or a passphrase of 16+."""

import pytest

from hpf.common.errors import InvalidInput
from hpf.identity.passwords import check_password_policy, password_problems


@pytest.mark.parametrize(
    "password",
    [
        "Kunming-2026x",
        "river stone lamp cloud",
        "Dianchi-lake-2026",
        "长长的密码短语是安全的十六个字符呢",
    ],
)
def test_accepted(password):
    assert password_problems(password) == []


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Short-1a", "至少需要 12 位"),
        ("abcdefghijkl", "至少三类"),  # 12 chars, one class
        ("abcdefgh1234", "至少三类"),  # two classes
        ("1qaz2wsx3edc4rfv", "常见"),  # keyboard walk on the vendored list
        ("password1234", "常见"),
        ("x" * 129, "128"),
        # Issue 11, item 14: accepted before the strength estimator.
        ("1111111111111111", "容易被猜到"),  # a 16-character "passphrase" of one digit
        ("P@ssw0rd2026", "容易被猜到"),  # three classes, on no list
        ("Kunming-Kunming-", "容易被猜到"),
    ],
)
def test_refused_with_the_reason(password, why):
    assert any(why in p for p in password_problems(password))


def test_personal_numbers_refused():
    """A password built on the depositor's own mobile is refused."""
    with pytest.raises(InvalidInput, match="手机号"):
        check_password_policy("Abc-13900000001", personal=("13900000001",))
