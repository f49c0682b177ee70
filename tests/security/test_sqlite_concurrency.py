import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ten_sqlite_writers_never_hit_database_is_locked(tmp_path):
    """WAL + IMMEDIATE + busy timeout: writers queue instead of failing (R-06: 10 writers for 30 s)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SQLITE_PATH"] = str(tmp_path / "stress.sqlite3")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    result = subprocess.run(
        [*manage, "sqlite_stress", "--writers", "10", "--seconds", "30"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    stats = dict(part.split("=") for part in result.stdout.split())
    assert int(stats["writes"]) > 500
    assert stats["locked"] == "0" and stats["other"] == "0"
