import pytest
from django.core.exceptions import ValidationError

from accounts.validators import is_valid_credit_code, is_valid_id_number, validate_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_credit_codes_pass_the_gb32100_check(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", ["91350100M000100Y44", "9135010OM000100Y43", "91350100M000100Y4", ""])
def test_wrong_check_character_length_or_letters_fail(code):
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError):
        validate_credit_code(code)


def test_id_number_check_digit_including_x():
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002")
