"""Write user text into spreadsheets without formula injection (S-16, ASVS 1.2.10).

Two ways to use it:

- `safe_cell_value(value)` returns a plain value for any writer (openpyxl `ws.append`, CSV):
  text that a spreadsheet could run as a formula gets a leading apostrophe.
- `safe_cell(ws, value)` / `safe_row(ws, values)` for openpyxl *write-only* sheets keep the text
  exactly as typed: the cell is stored as a string with Excel's own "quote prefix" flag, which is
  what Excel does when a person types '=1+1. No apostrophe shows, and editing the cell later
  does not turn it into a formula.

Numbers, dates, booleans and None are written as they are, so negative numbers stay numeric.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Half-width triggers (OWASP) plus CR and the full-width forms some IMEs type.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def clean_text(text: str) -> str:
    """Drop control characters that are illegal in XLSX (openpyxl would refuse the file)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def safe_cell_value(value):
    """Return `value` ready for a cell: formula-like text prefixed with "'", other values as is."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if is_formula_like(text) else text


def safe_cell(ws, value):
    """A write-only cell holding `value`; formula-like text is kept verbatim as quoted text."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if not is_formula_like(text):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl guessed "f" from the leading "="
    cell.quotePrefix = True
    return cell


def safe_row(ws, values) -> list:
    """`safe_cell` over a row, for `ws.append(safe_row(ws, values))` on a write-only sheet."""
    return [safe_cell(ws, v) for v in values]
