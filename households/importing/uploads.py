"""Temporary storage for uploads that a background job imports (S-23).

Files get generated names under MEDIA_ROOT/imports/ (outside the web root); the user's file
name never reaches the filesystem. The job deletes the file after commit or abort.
"""

import re
import uuid
from pathlib import Path

from django.conf import settings

from xixin_dibao.diskwrite import atomic_file

FOLDER = "imports"
NAME_RE = re.compile(r"^imports/[0-9a-f]{32}\.xlsx$")


def save_upload(upload) -> str:
    """Store `upload` under a generated name; return its path relative to MEDIA_ROOT."""
    folder = Path(settings.MEDIA_ROOT) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{FOLDER}/{uuid.uuid4().hex}.xlsx"
    path = Path(settings.MEDIA_ROOT) / relative
    with atomic_file(path) as fh:  # a full disk raises DiskFullError and leaves no file
        upload.seek(0)
        for chunk in upload.chunks():
            fh.write(chunk)
    return relative


def stored_path(relative: str) -> Path:
    """The absolute path of a stored upload; ValueError for anything but our generated names."""
    if not NAME_RE.match(relative or ""):
        raise ValueError("not a stored import upload")
    return Path(settings.MEDIA_ROOT) / relative
