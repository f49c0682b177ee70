"""Spreadsheet cell safety: text that a spreadsheet would run as a formula is written as text (S-16).

`households.xlsx_cells.safe_cell_value` is used when it exists, so the whole app escapes one way;
this fallback behaves the same: a leading apostrophe, numbers left as numbers.
"""

# = + - @ tab CR NUL, and the full-width forms Excel and WPS also accept as formula starters.
FORMULA_STARTERS = frozenset("=+-@\t\r\0＝＋－＠")


def _safe_cell_value(value):
    """Return `value` unchanged unless it is text a spreadsheet could read as a formula."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTERS:
        return "'" + value
    return value


try:  # the registry's helper, when that engineer's module has landed
    from households.xlsx_cells import safe_cell_value
except ImportError:  # pragma: no cover - depends on the other module's presence
    safe_cell_value = _safe_cell_value
