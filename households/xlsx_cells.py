"""Formula-safe spreadsheet cells (S-16): kept here for the registry's imports, defined once in
xixin_dibao.xlsx with the list writer every export uses."""

from xixin_dibao.xlsx import (  # noqa: F401 - re-exported
    FORMULA_TRIGGERS,
    clean_text,
    is_formula_like,
    safe_cell,
    safe_cell_value,
    safe_row,
)
