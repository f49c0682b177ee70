"""Read ids from query strings and forms: anything but a plain in-range number is no id."""

MAX_ID = 2**63 - 1  # the largest BIGINT on PostgreSQL and SQLite


def id_param(value) -> int | None:
    """The id in `value`, or None for text, negative numbers or numbers no table can hold."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
