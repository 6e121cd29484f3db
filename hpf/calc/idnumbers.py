"""Identifiers people type at the counter: resident ID numbers, unified social credit codes,
bank card numbers and mobile numbers.

Each ``parse_*`` normalises what a person typed (blanks, hyphens, lower-case ``x``) and
refuses only what cannot be genuine, with a Chinese message saying what to fix.  Check
characters come from python-stdnum.  A district code that stdnum does not know for the birth
year is *not* a refusal: codes are created, renamed and retired, while an ID number is kept for
life.  The ``make_*`` functions build valid numbers for test and demo data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from hpf.calc.errors import BankCardError, CreditCodeError, IdNumberError, MobileError

__all__ = [
    "BankCard",
    "ResidentId",
    "make_bank_card",
    "make_credit_code",
    "make_credit_code_from_seed",
    "make_resident_id",
    "org_code_check_char",
    "parse_bank_card",
    "parse_credit_code",
    "parse_mobile",
    "parse_resident_id",
]

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_EARLIEST_BIRTH = date(1900, 1, 1)
_RIC_RE = re.compile(r"[0-9]{17}[0-9X]")
_BLANKS_RE = re.compile(r"\s+")
_SEPARATORS_RE = re.compile(r"[\s\-]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# GB 32100-2015 character set: digits and capitals without I, O, Z, S, V.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 11714-1997 organisation code: weights of the 8 body characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A parsed 18-digit resident identity card number (GB 11643-1999)."""

    number: str
    region_code: str
    birth_date: date
    gender: Literal["M", "F"]
    region_known: bool


def parse_resident_id(raw: str, *, today: date | None = None) -> ResidentId:
    """Validate and decompose an 18-digit resident ID number.

    Blanks are removed and ``x`` upper-cased.  Checks, in order: not empty (``ID_EMPTY``),
    18 characters (``ID_LENGTH``), 17 digits then a digit or X (``ID_FORMAT``), a real birth
    date from 1900-01-01 up to ``today`` (default: today in Asia/Shanghai) (``ID_DATE``), and
    the GB 11643 / ISO 7064 MOD 11-2 check character (``ID_CHECKSUM``).  The date is checked
    before the check character so that a typo inside the date is reported as such.  The
    district code is never a reason to refuse; ``region_known`` only says whether stdnum's
    table knows it for the birth year.  Gender: odd 17th digit = male.
    """
    number = _BLANKS_RE.sub("", raw or "").upper()
    if not number:
        raise IdNumberError("ID_EMPTY", "请填写身份证号")
    if len(number) != 18:
        raise IdNumberError("ID_LENGTH", f"身份证号应为18位，当前为{len(number)}位")
    if not _RIC_RE.fullmatch(number):
        raise IdNumberError("ID_FORMAT", "身份证号前17位应为数字，最后一位为数字或X")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("ID_DATE", "身份证号中的出生日期不存在，请核对第7至14位") from None
    if today is None:
        today = datetime.now(_SHANGHAI).date()
    if birth < _EARLIEST_BIRTH or birth > today:
        raise IdNumberError("ID_DATE", "身份证号中的出生日期不合理，请核对第7至14位")
    if ric.calc_check_digit(number) != number[17]:
        raise IdNumberError("ID_CHECKSUM", "身份证号校验位不正确，请核对最后一位")
    try:
        ric.get_birth_place(number)
        region_known = True
    except (ValidationError, LookupError, ValueError):
        # stdnum raises KeyError (not a ValidationError) for a code known only at province
        # level; any failure of this informative lookup just means "not known".
        region_known = False
    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=birth,
        gender="M" if int(number[16]) % 2 == 1 else "F",
        region_known=region_known,
    )


def make_resident_id(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid 18-digit ID number from a district code, birth date and sequence 0–999.

    The check character is computed (ISO 7064 MOD 11-2); the sequence's last digit carries the
    gender (odd = male).  For generated test data only.
    """
    if not re.fullmatch(r"[0-9]{6}", region_code):
        raise IdNumberError("ID_FORMAT", "行政区划代码应为6位数字")
    if not 0 <= sequence <= 999:
        raise IdNumberError("ID_FORMAT", "顺序码应在0到999之间")
    if not _EARLIEST_BIRTH <= birth_date <= date(9999, 12, 31):
        raise IdNumberError("ID_DATE", "出生日期不合理")
    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    # calc_check_digit ignores the last character it is given, so pass a placeholder.
    return body + ric.calc_check_digit(body + "0")


def parse_credit_code(raw: str) -> str:
    """Validate an 18-character unified social credit code (GB 32100-2015); return it compact.

    Blanks and hyphens are removed and letters upper-cased.  Errors: ``USCC_LENGTH`` (not 18),
    ``USCC_FORMAT`` (a character outside the GB 32100 set, or a non-digit in the region code,
    positions 3–8), ``USCC_CHECKSUM`` (18th character, via ``stdnum.cn.uscc``).  Positions 1–2
    may be letters (registration departments such as ``Y`` or ``N``), which stdnum's own
    ``validate`` would refuse.  The check character of the embedded organisation code (9th–17th,
    GB 11714) is not enforced because codes issued to some entity types do not carry one.
    """
    code = _SEPARATORS_RE.sub("", raw or "").upper()
    if len(code) != 18:
        raise CreditCodeError("USCC_LENGTH", f"统一社会信用代码应为18位，当前为{len(code)}位")
    if any(ch not in _USCC_ALPHABET for ch in code) or not code[2:8].isdigit():
        raise CreditCodeError("USCC_FORMAT", "统一社会信用代码含有不允许的字符，请核对")
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise CreditCodeError("USCC_CHECKSUM", "统一社会信用代码校验位不正确，请核对最后一位")
    return code


def org_code_check_char(body: str) -> str:
    """The GB 11714-1997 check character of an 8-character organisation code body."""
    if len(body) != 8 or any(ch not in _USCC_ALPHABET for ch in body):
        raise CreditCodeError("USCC_FORMAT", "组织机构代码本体应为8位数字或字母")
    total = sum(_char_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_credit_code(
    registration_dept: str, org_type: str, region_code: str, org_code_body: str
) -> str:
    """Build a valid unified social credit code from its parts.

    Both check characters are computed: the organisation code's (GB 11714) and the code's own
    18th character (GB 32100, ``stdnum.cn.uscc.calc_check_digit``).
    """
    if len(registration_dept) != 1 or len(org_type) != 1:
        raise CreditCodeError("USCC_FORMAT", "登记管理部门码和机构类别码各为1位")
    if not re.fullmatch(r"[0-9]{6}", region_code):
        raise CreditCodeError("USCC_FORMAT", "行政区划代码应为6位数字")
    head = registration_dept.upper() + org_type.upper()
    if any(ch not in _USCC_ALPHABET for ch in head):
        raise CreditCodeError("USCC_FORMAT", "登记管理部门码或机构类别码不正确")
    body = org_code_body.upper()
    first17 = head + region_code + body + org_code_check_char(body)
    return first17 + uscc.calc_check_digit(first17)


def make_credit_code_from_seed(n: int, region_code: str) -> str:
    """Build a valid code for an enterprise (``91``) from an integer 0 ≤ n < 10**8.

    Deterministic and injective in ``n`` for a given region: the organisation code body is
    ``n`` zero-padded to 8 digits.  For generated test data only.
    """
    if not 0 <= n < 10**8:
        raise CreditCodeError("USCC_FORMAT", "种子应在0到99999999之间")
    return make_credit_code("9", "1", region_code, f"{n:08d}")


@dataclass(frozen=True, slots=True)
class BankCard:
    """A bank card number, digits only; ``luhn_ok`` says whether its Luhn digit checks out."""

    number: str
    luhn_ok: bool


def parse_bank_card(raw: str) -> BankCard:
    """Normalise a bank card number (blanks and hyphens removed) and check its shape.

    Errors: ``CARD_FORMAT`` (anything but digits), ``CARD_LENGTH`` (not 12–19 digits).  A Luhn
    failure is not an error: some genuine domestic cards carry no Luhn digit, so it is only
    reported in ``luhn_ok`` for the form to warn about.
    """
    number = _SEPARATORS_RE.sub("", raw or "")
    if not number:
        raise BankCardError("CARD_LENGTH", "请填写银行卡号")
    if not _DIGITS_RE.fullmatch(number):
        raise BankCardError("CARD_FORMAT", "银行卡号只能包含数字")
    if not 12 <= len(number) <= 19:
        raise BankCardError("CARD_LENGTH", f"银行卡号应为12至19位数字，当前为{len(number)}位")
    return BankCard(number=number, luhn_ok=luhn.is_valid(number))


def make_bank_card(prefix: str, body: int, length: int = 19) -> str:
    """Build a card number of ``length`` digits: prefix, zero-padded body, Luhn check digit."""
    if not _DIGITS_RE.fullmatch(prefix) or not 12 <= length <= 19:
        raise BankCardError("CARD_FORMAT", "卡号前缀应为数字，长度应为12至19位")
    width = length - 1 - len(prefix)
    if body < 0 or width < 0 or len(str(body)) > width:
        raise BankCardError("CARD_LENGTH", "卡号主体放不进指定长度")
    partial = f"{prefix}{body:0{width}d}" if width else prefix
    return partial + luhn.calc_check_digit(partial)


def parse_mobile(raw: str) -> str:
    """Normalise a mainland mobile number to 11 digits.

    Blanks and hyphens are removed, then an optional ``+86`` or ``86`` country prefix.  The rest
    must match ``1[3-9]`` plus 9 digits, else ``MobileError("MOBILE_FORMAT")``.
    """
    number = _SEPARATORS_RE.sub("", raw or "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE_RE.fullmatch(number):
        raise MobileError("MOBILE_FORMAT", "手机号码格式不正确，应为11位大陆手机号")
    return number


def _char_value(ch: str) -> int:
    # GB 11714 values letters A=10 … Z=35 (the full Latin alphabet, not the USCC subset).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
