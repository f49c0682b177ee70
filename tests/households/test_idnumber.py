from datetime import date

import pytest

from households import idnumber

VALID = "11010519491231002X"  # the standard's own example number


def test_valid_number_passes_and_is_normalised():
    assert idnumber.validate(" 11010519491231002x ") == VALID


def test_lowercase_x_is_accepted_as_uppercase():
    assert idnumber.validate(VALID.lower()) == VALID


@pytest.mark.parametrize(
    "value, message",
    [
        ("110105194912310021", "校验位"),  # wrong check digit
        ("11010519491231002", "18位"),  # 17 characters
        ("1101051949123100200", "18位"),  # 19 characters
        ("110105194902300025", "出生日期不存在"),  # 30 February
        ("11010519491231A02X", "前17位须为数字"),
    ],
)
def test_invalid_numbers_are_refused_with_chinese_reason(value, message):
    with pytest.raises(idnumber.IdNumberError, match=message):
        idnumber.validate(value)


def test_future_birth_date_is_refused():
    number = idnumber.make("500240", date(2030, 1, 1), 11)
    with pytest.raises(idnumber.IdNumberError, match="不合理"):
        idnumber.validate(number, today=date(2022, 11, 10))


def test_sex_and_birth_date_are_derived():
    assert idnumber.sex_from_id(VALID) == "F"
    assert idnumber.birth_date_from_id(VALID) == date(1949, 12, 31)
    male = idnumber.make("500240", date(1980, 2, 3), 13)
    assert idnumber.sex_from_id(male) == "M"
    assert idnumber.validate(male) == male


def test_mask_keeps_first_six_and_last_four():
    assert idnumber.mask(VALID) == "110105********002X"
    assert idnumber.mask("") == ""
