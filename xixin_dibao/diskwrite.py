"""Write a file whole or not at all: a full disk leaves no partial file and says so in Chinese."""

import errno
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

DISK_FULL_MESSAGE = "磁盘空间不足，文件未保存。请联系系统管理员清理磁盘后重试。"
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# A writer killed mid-way leaves ".<name>.<random>.partial" beside the target; cleaners glob it.
TEMP_SUFFIX = ".partial"


class DiskFullError(OSError):
    """The disk (or the user's quota) is full; the Chinese message is safe to show."""

    def __init__(self):
        super().__init__(errno.ENOSPC, DISK_FULL_MESSAGE)

    def __str__(self):
        return DISK_FULL_MESSAGE


@contextmanager
def atomic_file(path: Path, mode: int = 0o600):
    """Yield a binary handle; the file appears at `path` only once fully written and synced.

    Readers see the old file or the whole new one. Two writers of one path each write their own
    temp file; the last to finish wins. A full disk raises DiskFullError and leaves nothing.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if exc.errno in DISK_ERRORS:
            raise DiskFullError() from exc
        raise
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """`data` to `path` whole or not at all (folders created as needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, mode) as handle:
        handle.write(data)
