"""masking: one way to hide personal data everywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hpf.calc.masking import mask_bank_card, mask_id_number, mask_mobile, mask_name


@pytest.mark.parametrize(
    ("fn", "raw", "masked"),
    [
        (mask_id_number, "53010219900101001X", "5301**********001X"),
        (mask_id_number, "12345678", "********"),
        (mask_bank_card, "6222021234567891234", "6222 **** **** 1234"),
        (mask_bank_card, "6222 0212 3456", "6222 **** **** 3456"),
        (mask_bank_card, "12345", "*****"),
        (mask_mobile, "13812345678", "138****5678"),
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "张", "*"),
    ],
)
def test_masks(fn: Callable[[str | None], str], raw: str, masked: str) -> None:
    """Each helper keeps only its fixed head and tail."""
    assert fn(raw) == masked


@pytest.mark.parametrize("fn", [mask_id_number, mask_bank_card, mask_mobile, mask_name])
@pytest.mark.parametrize("raw", [None, ""])
def test_masks_are_empty_safe(fn: Callable[[str | None], str], raw: str | None) -> None:
    """None and empty give an empty string."""
    assert fn(raw) == ""


def test_mask_email():
    from hpf.calc.masking import mask_email

    assert mask_email("zhang.san@example.cn") == "z***@example.cn"
    assert mask_email("a@b.cn") == "a***@b.cn"
    assert mask_email("no-at-sign") == "**********"
    assert mask_email(None) == ""
