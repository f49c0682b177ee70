"""Search by the tail of an ID number (“尾号 1234”) without reading every member.

An index on reverse(id_number) serves `reverse(id_number) LIKE '4321%'`, which is how
households.views.filter_households asks for a tail. PostgreSQL only: SQLite (the demo) has no
built-in reverse() to index and scans its few thousand members quickly enough.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS households_member_id_reversed_idx "
    "ON households_member (reverse(id_number) text_pattern_ops)"
)
DROP = "DROP INDEX IF EXISTS households_member_id_reversed_idx"


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("households", "0008_ux_withdrawn")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
