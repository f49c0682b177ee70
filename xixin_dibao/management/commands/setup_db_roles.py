"""Create the PostgreSQL owner and app roles, so the app cannot erase or switch off its audit.

Run once as a PostgreSQL superuser (DATABASE_URL of `postgres`), after the first `migrate`:

    python manage.py setup_db_roles --owner xixin_owner --app xixin_app

Passwords come from the environment (XIXIN_OWNER_PASSWORD, XIXIN_APP_PASSWORD), never from the
command line. Afterwards: run `migrate` with the owner's DATABASE_URL and the app (gunicorn,
Celery) with the app's. See docs/scaling.md, section 数据库角色.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg2 import sql

AUDIT_TABLE = "xixin_dibao_auditevent"
AUDIT_FUNCTION = "xixin_audit_append_only()"


class Command(BaseCommand):
    help = "创建 PostgreSQL 属主角色和应用角色：应用角色不能清空、修改审计表或关闭其触发器。"

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="xixin_owner", help="表的属主角色（运行迁移）")
        parser.add_argument("--app", default="xixin_app", help="应用连接数据库所用的角色")
        parser.add_argument("--schema", default="public")

    def handle(self, *args, owner, app, schema, **options):
        if connection.vendor != "postgresql":
            raise CommandError("只有 PostgreSQL 需要设置数据库角色（SQLite 没有角色）。")
        if owner == app:
            raise CommandError("属主角色和应用角色必须不同。")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
            )
            if not cursor.fetchone()[0]:
                raise CommandError(
                    "请用 PostgreSQL 超级用户（或有 CREATEROLE 权限的角色）运行本命令。"
                )
            for role, env in ((owner, "XIXIN_OWNER_PASSWORD"), (app, "XIXIN_APP_PASSWORD")):
                self._ensure_role(cursor, role, os.environ.get(env) or None)
            self._grant(cursor, owner=owner, app=app, schema=schema)
        self.stdout.write(
            self.style.SUCCESS(
                f"已设置：属主角色 {owner}（拥有全部表，运行 migrate），"
                f"应用角色 {app}（只能增删改查；审计表只能查询和追加，不能清空、修改或关闭触发器）。"
            )
        )

    def _ensure_role(self, cursor, role: str, password: str | None) -> None:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        statement = sql.SQL(
            "{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        ).format(sql.SQL(verb), sql.Identifier(role))
        if password:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        cursor.execute(statement)

    def _grant(self, cursor, *, owner: str, app: str, schema: str) -> None:
        o, a, s = sql.Identifier(owner), sql.Identifier(app), sql.Identifier(schema)
        db = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(db, o, a),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(s),
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, o),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, a),
        ]
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        for (table,) in cursor.fetchall():
            # Owned sequences follow their table.
            statements.append(
                sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(s, sql.Identifier(table), o)
            )
        cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [AUDIT_FUNCTION])
        if cursor.fetchone()[0]:
            statements.append(sql.SQL(f"ALTER FUNCTION {AUDIT_FUNCTION} OWNER TO {{}}").format(o))
        statements += [
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, a),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                s, a
            ),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, a),
            # The audit: read and append. DELETE stays for the retention job; the trigger allows
            # it only for rows older than 184 days. TRUNCATE is never granted.
            sql.SQL("REVOKE UPDATE, TRUNCATE ON {}.{} FROM {}").format(
                s, sql.Identifier(AUDIT_TABLE), a
            ),
            # Tables later migrations create (as the owner) get the same rights.
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(o, s, a),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
                "GRANT USAGE, SELECT ON SEQUENCES TO {}"
            ).format(o, s, a),
        ]
        for statement in statements:
            cursor.execute(statement)
