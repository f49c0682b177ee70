"""File helpers for dossiers: atomic writes, checksums, names derived only from our own data."""

import hashlib
import re
from pathlib import Path

from django.conf import settings

from xixin_dibao.diskwrite import TEMP_SUFFIX, atomic_write

__all__ = ["TEMP_SUFFIX", "atomic_write"]  # dossiers write through the one atomic writer

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def media_path(relative: str) -> Path:
    """The absolute path of a file stored under MEDIA_ROOT; refuses anything that escapes it."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("文件路径不在存储目录内")
    return path


def relative_to_media(path: Path) -> str:
    return str(path.resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_copy(source: Path, target: Path) -> None:
    atomic_write(target, source.read_bytes())


def remove_temp_files(folder: Path, name: str | None = None) -> int:
    """Delete temp files a killed writer left in `folder` (only those for `name`, if given)."""
    pattern = f".{name}.*{TEMP_SUFFIX}" if name else f".*{TEMP_SUFFIX}"
    removed = 0
    for temp in folder.glob(pattern):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed


def household_file_stem(code: str, pk: int) -> str:
    """A file name stem from the household code; codes that are not plain get the id appended."""
    if SAFE_NAME.match(code or ""):
        return code
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", code or "")[:60].strip("_")
    return f"{cleaned or 'household'}-{pk}"
