"""Chinese identifiers: unified social credit code (GB 32100-2015) and resident ID (GB 11643-1999)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def credit_code_check_char(first17: str) -> str:
    pairs = zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    total = sum(CREDIT_CODE_CHARSET.index(char) * weight for char, weight in pairs)
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    if len(code) != 18 or any(char not in CREDIT_CODE_CHARSET for char in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def validate_credit_code(code):
    if not is_valid_credit_code(code):
        raise ValidationError(_("统一社会信用代码无效：应为 18 位，且校验位符合 GB 32100-2015。"), code="credit_code")


def id_number_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def is_valid_id_number(number: str) -> bool:
    number = (number or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    return id_number_check_char(number[:17]) == number[17]


def validate_id_number(number):
    if not is_valid_id_number(number):
        raise ValidationError(_("身份证号码无效：应为 18 位，且校验位符合 GB 11643-1999。"), code="id_number")
