"""Dossier batches: one PDF per household in a folder, then one ZIP — safe to kill and resume.

Each PDF is written to a temp file in the same folder and renamed into place (atomic), under a
name derived from the household code, so a killed worker leaves either no file or a whole one and
a rerun never makes a second copy. Households whose current dossier is already on disk with the
right checksum are skipped, which is what makes a resumed batch cheap (scale-performance-security
B.5, P-8).
"""

import csv
import io
import logging
import os
import zipfile
from pathlib import Path

from households.models import Household
from households.xlsx_cells import safe_cell_value
from xixin_dibao.diskwrite import atomic_file

from .files import (
    atomic_copy,
    household_file_stem,
    media_path,
    remove_temp_files,
    sha256_file,
)
from .models import Dossier
from .services import ensure_dossier

logger = logging.getLogger(__name__)

# Households per Celery task: not one task per household (B.5), but small enough that the
# workers finish together: the last chunk runs alone, so 1,549 households in chunks of 50 left one
# worker idle for about half a chunk (~10 s) at the end.
CHUNK_SIZE = 20
MANIFEST_NAME = "档案清单.csv"


def batch_households(*, user=None, village_id=None, village_code="", household_code=""):
    """Households of a batch, in file order; `user` (if given) limits them to what they may see."""
    qs = Household.objects.for_user(user) if user is not None else Household.objects.all()
    if village_id:
        qs = qs.filter(village_id=village_id)
    if village_code:
        qs = qs.filter(village__code=village_code)
    if household_code:
        qs = qs.filter(code=household_code)
    return qs.order_by("village__code", "code")


def pdf_name(household: Household) -> str:
    return f"{household_file_stem(household.code, household.pk)}.pdf"


def export_household(household: Household, out_dir: Path, *, actor) -> bool:
    """Put the household's current dossier PDF into `out_dir`; False if it was already there."""
    dossier, _ = ensure_dossier(household=household, actor=actor)
    target = out_dir / pdf_name(household)
    remove_temp_files(out_dir, target.name)  # what a killed writer of this file left behind
    if target.is_file() and sha256_file(target) == dossier.checksum:
        return False
    atomic_copy(media_path(dossier.file), target)
    return True


def run_chunk(household_ids, out_dir: Path, *, actor, on_progress=None) -> list[str]:
    """Export the given households; one failure is logged and reported, not fatal to the rest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    households = (
        Household.objects.filter(pk__in=household_ids)
        .select_related("village__township", "group")
        .order_by("village__code", "code")
    )
    for household in households:
        try:
            export_household(household, out_dir, actor=actor)
        except Exception as exc:  # keep going: the finishing step retries and reports it
            logger.exception("dossier for household %s failed", household.pk)
            errors.append(f"{household.code}：{exc}")
        if on_progress is not None and on_progress() is False:
            break
    return errors


def done_count(out_dir: Path) -> int:
    """Finished PDFs in the folder (temp files start with a dot and are not counted)."""
    if not out_dir.is_dir():
        return 0
    return sum(1 for name in os.listdir(out_dir) if name.endswith(".pdf") and name[0] != ".")


def _current_checksums(household_ids) -> dict[int, str]:
    checksums = {}
    for household_id, checksum in (
        Dossier.objects.filter(household_id__in=household_ids)
        .order_by("household_id", "-version")
        .values_list("household_id", "checksum")
    ):
        checksums.setdefault(household_id, checksum)
    return checksums


def complete_folder(households, out_dir: Path, *, actor) -> list[str]:
    """Make sure every household has its PDF with the right checksum; return what is missing."""
    households = list(households.select_related("village__township", "group"))
    checksums = _current_checksums([h.pk for h in households])
    missing = []
    for household in households:
        target = out_dir / pdf_name(household)
        if target.is_file() and sha256_file(target) == checksums.get(household.pk):
            continue
        missing += run_chunk([household.pk], out_dir, actor=actor)
    remove_temp_files(out_dir)
    return missing


def write_zip(households, out_dir: Path, zip_path: Path) -> int:
    """Write the ZIP of the folder's PDFs (by village) and a manifest, atomically; return count."""
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["村", "户编号", "户主", "文件", "SHA-256"])
    count = 0
    with atomic_file(zip_path) as handle:  # whole ZIP or none; a full disk says so in Chinese
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for household in households.select_related("village"):
                source = out_dir / pdf_name(household)
                if not source.is_file():
                    continue
                village = household.village
                arcname = f"{village.code}{village.name}/{source.name}"
                archive.write(source, arcname)
                writer.writerow(
                    [
                        safe_cell_value(village.name),
                        safe_cell_value(household.code),
                        safe_cell_value(household.head_name),
                        arcname,
                        sha256_file(source),
                    ]
                )
                count += 1
            archive.writestr(MANIFEST_NAME, "\ufeff" + manifest.getvalue())
    return count
