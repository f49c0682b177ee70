"""Resident ID numbers (GB 11643-1999): check digit, birth date, sex, masking. No Django imports."""

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """Raised with a Chinese message saying what is wrong with the number."""


def check_digit(first17: str) -> str:
    """Return the GB 11643 mod-11 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate(value: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character number or raise IdNumberError in Chinese."""
    number = normalize(value)
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，当前为{len(number)}位。")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号前17位须为数字，最后一位为数字或X。")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证号中的出生日期不存在。") from exc
    if born.year < 1900 or (today and born > today):
        raise IdNumberError("身份证号中的出生日期不合理。")
    if check_digit(number[:17]) != number[17]:
        raise IdNumberError("身份证号校验位错误，请核对。")
    return number


def birth_date_from_id(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_from_id(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd = male)."""
    return "M" if int(number[16]) % 2 else "F"


def mask(number: str | None) -> str:
    """Keep the first 6 and last 4 characters: 500240********1234."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make(area: str, born: date, sequence: int) -> str:
    """Build a valid number (for synthetic data): area code, birth date, 3-digit sequence."""
    first17 = f"{area}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)
