"""PostgreSQL triggers that count writes to the screening's inputs (screening.models.InputVersion).

Statement-level triggers with transition tables: one statement that writes 10,000 incomes (an
import, a COPY) bumps each household it touched once, in one INSERT … ON CONFLICT, in household
order so two writers never wait on each other in a cycle. A TRUNCATE empties the facts cache.
"""

# The tables setbased reads besides households and villages, and how a row names its household.
BY_HOUSEHOLD = (
    "households_member",
    "households_income",
    "households_asset",
    "households_expense",
    "households_prioritygrouprecord",
    "households_application",
)
BY_MEMBER = ("households_assistancerecord",)

_BUMP = """
    INSERT INTO screening_inputversion (household_id, version)
    SELECT household_id, 1 FROM ({rows}) touched WHERE household_id IS NOT NULL
    GROUP BY household_id ORDER BY household_id
    ON CONFLICT (household_id) DO UPDATE SET version = screening_inputversion.version + 1;
"""


def _rows(source: str, key: str) -> str:
    if key == "household":
        return f"SELECT household_id FROM {source}"  # noqa: S608
    return (
        f"SELECT m.household_id FROM {source} r "  # noqa: S608
        "JOIN households_member m ON m.id = r.member_id"
    )


def _function(key: str) -> str:
    both = f"{_rows('new_rows', key)} UNION ALL {_rows('old_rows', key)}"
    return f"""
CREATE OR REPLACE FUNCTION screening_inputs_by_{key}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_BUMP.format(rows=_rows("new_rows", key))}
    ELSIF TG_OP = 'DELETE' THEN
        {_BUMP.format(rows=_rows("old_rows", key))}
    ELSE
        {_BUMP.format(rows=both)}
    END IF;
    RETURN NULL;
END $$;
"""


_TRUNCATED = """
CREATE OR REPLACE FUNCTION screening_inputs_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM screening_householdfacts;
    RETURN NULL;
END $$;
"""

_EVENTS = {
    "ins": ("INSERT", "NEW TABLE AS new_rows"),
    "upd": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "del": ("DELETE", "OLD TABLE AS old_rows"),
}


def create_sql() -> list[str]:
    statements = [_function("household"), _function("member"), _TRUNCATED]
    for key, tables in (("household", BY_HOUSEHOLD), ("member", BY_MEMBER)):
        for table in tables:
            for suffix, (event, transition) in _EVENTS.items():
                statements.append(
                    f"CREATE TRIGGER screening_inputs_{suffix} AFTER {event} ON {table} "
                    f"REFERENCING {transition} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION screening_inputs_by_{key}()"
                )
            statements.append(
                f"CREATE TRIGGER screening_inputs_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION screening_inputs_truncated()"
            )
    return statements


def drop_sql() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS screening_inputs_{suffix} ON {table}"
        for table in (*BY_HOUSEHOLD, *BY_MEMBER)
        for suffix in (*_EVENTS, "truncate")
    ]
    return statements + [
        "DROP FUNCTION IF EXISTS screening_inputs_by_household()",
        "DROP FUNCTION IF EXISTS screening_inputs_by_member()",
        "DROP FUNCTION IF EXISTS screening_inputs_truncated()",
    ]


def install(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in create_sql():
            schema_editor.execute(sql)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in drop_sql():
            schema_editor.execute(sql)
