"""Log filter that masks ID numbers and bank-account-like digit runs in every log line."""

import logging
import re

ID_PATTERN = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
ID15_PATTERN = re.compile(r"(?<!\d)(\d{6})(\d{9})(?!\d)")
LONG_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8,}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask 18- and 15-digit ID numbers and long account numbers in free text."""
    text = ID_PATTERN.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    text = ID15_PATTERN.sub(lambda m: m.group(1) + "*****" + m.group(2)[-4:], text)
    return LONG_DIGITS.sub(lambda m: m.group(1) + "********" + m.group(2), text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never lose a log line over formatting
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


class MaskingFormatter(logging.Formatter):
    """Mask the final line too, so tracebacks and extra fields cannot leak an ID number."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def _gunicorn_logger_base():
    try:
        from gunicorn.glogging import Logger
    except ImportError:  # gunicorn is only needed where it serves the app
        return object
    return Logger


class MaskingGunicornLogger(_gunicorn_logger_base()):
    """gunicorn's logger with the masking filter on its access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(MaskPersonalDataFilter())
            for handler in log.handlers:
                handler.addFilter(MaskPersonalDataFilter())
