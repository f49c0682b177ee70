"""On PostgreSQL, a trigger makes the audit table append-only even for raw SQL.

Only the retention job may delete, and only rows older than 184 days (网络安全法 Art. 21).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION xixin_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('xixin.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '184 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '审计记录不可修改或删除';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS xixin_audit_append_only ON xixin_dibao_auditevent;
CREATE TRIGGER xixin_audit_append_only BEFORE UPDATE OR DELETE ON xixin_dibao_auditevent
    FOR EACH ROW EXECUTE FUNCTION xixin_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS xixin_audit_append_only ON xixin_dibao_auditevent;
DROP FUNCTION IF EXISTS xixin_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("xixin_dibao", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
