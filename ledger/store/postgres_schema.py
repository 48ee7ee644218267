"""The ledger's schema on PostgreSQL: tables, guard triggers, the application role.

The same 13 columns as the SQLite ``events`` table, all text where the hash reads them
(``recorded_at`` too: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, never a ``timestamptz``), so the
same records give the same bytes and the same chain on both backends.

Appenders serialise on the one row of ``ledger_head`` (no sequence: a rolled-back
transaction would leave a gap). ``ledger_lock_head()`` locks it and returns the head,
the last ``recorded_at`` and the server's ``clock_timestamp()`` read after the lock;
the writer then assigns ``seq`` and ``prev_hash`` itself. The statement trigger
``events_appended`` checks every INSERT or COPY continues the head contiguously and
links ``prev_hash``, and moves the head. Row triggers refuse UPDATE and DELETE, a
statement trigger TRUNCATE; ``ledger_head`` changes only from inside that trigger.

The application role gets SELECT and INSERT on ``events``, SELECT on ``ledger_head``
and EXECUTE on ``ledger_lock_head()``; for the Merkle tree (:mod:`ledger.store.tree`)
SELECT and INSERT on ``merkle_nodes`` and SELECT, INSERT and UPDATE on the one-row
counter ``merkle_state``; nothing else: the two functions that touch the
head run as their owner (SECURITY DEFINER), and only an owner may drop or alter a
trigger (see docs/deployment.md).
"""

from __future__ import annotations

import re

from ledger.errors import LedgerError, TamperError
from ledger.store import tree
from ledger.store.chain import GENESIS_HASH

SCHEMA_VERSION = 1
# marks the events table as an audit ledger's, with its schema version
MARK = f"audit-ledger events, schema {SCHEMA_VERSION}"

TABLES = [
    """CREATE TABLE events (
        seq bigint PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        town text,
        period text,
        occurred_on text,
        refers_to text,
        recorded_at text NOT NULL,
        actor text,
        payload text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL)""",
    # the same secondary indexes as SQLite's schema 2 (ledger/store/sqlite.py INDEXES)
    "CREATE UNIQUE INDEX events_id ON events(id)",
    "CREATE INDEX events_town ON events(town, period)",
    "CREATE INDEX events_unscoped ON events(type, period) WHERE (town IS NULL OR period IS NULL)",
    "CREATE INDEX events_refers_to ON events(refers_to) WHERE refers_to IS NOT NULL",
    """CREATE TABLE ledger_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        hash text NOT NULL)""",
    f"INSERT INTO ledger_head (seq, hash) VALUES (0, '{GENESIS_HASH}')",
    f"COMMENT ON TABLE events IS '{MARK}'",
]

# name -> (CREATE FUNCTION body text as stored in pg_proc.prosrc); compared by verify
FUNCTION_BODIES = {
    "ledger_refuse_change": """
BEGIN
    RAISE EXCEPTION 'ledger events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END""",
    "ledger_head_guard": """
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger_head moves only with appended events (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END""",
    "ledger_events_appended": """
DECLARE
    head_seq bigint;
    head_hash text;
    n bigint;
    lo bigint;
    hi bigint;
    bad bigint;
BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM ledger_head h FOR UPDATE;
    SELECT count(*), min(i.seq), max(i.seq) INTO n, lo, hi FROM inserted i;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    -- seq is the primary key, so n distinct seqs from lo to hi leave no gap
    IF lo <> head_seq + 1 OR hi - lo + 1 <> n THEN
        RAISE EXCEPTION 'ledger events must continue the chain: seq % to % after head %',
            lo, hi, head_seq USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT i.seq INTO bad FROM inserted i LEFT JOIN inserted p ON p.seq = i.seq - 1
        WHERE i.prev_hash IS DISTINCT FROM
              (CASE WHEN i.seq = lo THEN head_hash ELSE p.hash END)
        ORDER BY i.seq LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger event seq %: prev_hash does not link to the previous hash', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    UPDATE ledger_head SET seq = hi, hash = (SELECT i.hash FROM inserted i WHERE i.seq = hi);
    RETURN NULL;
END""",
    "ledger_lock_head": """
BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM ledger_head h FOR UPDATE;
    SELECT e.recorded_at INTO last_recorded_at FROM events e WHERE e.seq = head_seq;
    server_now := clock_timestamp();
END""",
}

REFUSE_CHANGE_BODY = FUNCTION_BODIES["ledger_refuse_change"]
HEAD_GUARD_BODY = FUNCTION_BODIES["ledger_head_guard"]
EVENTS_APPENDED_BODY = FUNCTION_BODIES["ledger_events_appended"]
LOCK_HEAD_BODY = FUNCTION_BODIES["ledger_lock_head"]

FUNCTIONS = [
    f"CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
    f"{REFUSE_CHANGE_BODY}$$",
    f"CREATE FUNCTION ledger_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
    f"{HEAD_GUARD_BODY}$$",
    # SECURITY DEFINER: the application role may not UPDATE ledger_head, the owner may
    f"CREATE FUNCTION ledger_events_appended() RETURNS trigger LANGUAGE plpgsql "
    f"SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$"
    f"{EVENTS_APPENDED_BODY}$$",
    f"CREATE FUNCTION ledger_lock_head(OUT head_seq bigint, OUT head_hash text, "
    f"OUT last_recorded_at text, OUT server_now timestamptz) LANGUAGE plpgsql "
    f"SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$"
    f"{LOCK_HEAD_BODY}$$",
]

# name -> (table, CREATE TRIGGER); verify compares pg_get_triggerdef with these
GUARDS = {
    "events_no_update": ("events", "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
    "events_no_delete": ("events", "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
                                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"),
    "events_no_truncate": ("events", "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
                                     "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"),
    "events_appended": ("events", "CREATE TRIGGER events_appended AFTER INSERT ON events "
                                  "REFERENCING NEW TABLE AS inserted "
                                  "FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_appended()"),
    "ledger_head_guard": ("ledger_head", "CREATE TRIGGER ledger_head_guard BEFORE INSERT OR "
                                         "DELETE OR UPDATE ON ledger_head FOR EACH ROW "
                                         "EXECUTE FUNCTION ledger_head_guard()"),
    "ledger_head_no_truncate": ("ledger_head", "CREATE TRIGGER ledger_head_no_truncate BEFORE "
                                               "TRUNCATE ON ledger_head FOR EACH STATEMENT "
                                               "EXECUTE FUNCTION ledger_refuse_change()"),
}


def create_schema(conn) -> None:
    """Create the tables, functions and guards in the current schema (the caller holds a
    transaction). The owner's functions search only that schema, with ``pg_temp`` last:
    a temporary table of the same name must not stand in for ``ledger_head``."""
    from psycopg import sql

    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    for statement in TABLES:
        conn.execute(statement)
    for statement in FUNCTIONS:
        # {schema} is a quoted identifier; the rest of the text is ours
        conn.execute(sql.SQL(statement).format(
            schema=sql.Identifier(schema)))
    conn.execute("REVOKE ALL ON FUNCTION ledger_lock_head() FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION ledger_events_appended() FROM PUBLIC")
    for _table, sql in GUARDS.values():
        conn.execute(sql)
    tree.ensure(conn)  # the Merkle tree's tables, derived from the events


ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_application_role(conn, role: str, password: str | None = None) -> None:
    """Create (if missing) the login role ``role`` and give it only what appending and
    reading need. Names are checked, then quoted by psycopg's ``sql.Identifier``."""
    from psycopg import sql

    if not ROLE_NAME.fullmatch(role):
        raise LedgerError(f"role name {role!r}: use lowercase letters, digits and _ "
                          f"(at most 63, not starting with a digit)")
    ident = sql.Identifier(role)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                             "NOINHERIT").format(ident))
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), ident))
    conn.execute(sql.SQL("GRANT SELECT, INSERT ON events TO {}").format(ident))
    conn.execute(sql.SQL("GRANT SELECT ON ledger_head TO {}").format(ident))
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION ledger_lock_head() TO {}").format(ident))
    # the Merkle tree: a node is written once; its size row moves with every append
    conn.execute(sql.SQL("GRANT SELECT, INSERT ON merkle_nodes TO {}").format(ident))
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON merkle_state TO {}").format(ident))
    # derived tables the owner creates later beside the events (the read model): the role
    # keeps them in step with its appends, and can never drop them; verify checks them
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE "
                         "ON TABLES TO {}").format(sql.Identifier(schema), ident))


def check_guards(conn) -> None:
    """Raise :class:`TamperError` unless every guard trigger is present, enabled and
    exactly as created, and the functions they run have their original bodies."""
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    found = {name: (table, definition, enabled) for name, table, definition, enabled in conn.execute(
        "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND NOT t.tgisinternal AND c.relname IN ('events', 'ledger_head')",
        (schema,))}
    for name, (table, sql) in GUARDS.items():
        got = found.get(name)
        want = sql.replace(f" ON {table} ", f" ON {schema}.{table} ", 1)
        # 'O': fires in normal sessions; 'A' would also do, but we never set it
        if got is None or got[0] != table or _normal(got[1], schema) != want or got[2] != "O":
            raise TamperError(f"the append-only guard {name} is missing, disabled or altered")
    found_functions = {name: rest for name, *rest in conn.execute(
        "SELECT p.proname, p.prosrc, p.prosecdef, p.proconfig, l.lanname FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang "
        "WHERE n.nspname = %s AND p.proname = ANY(%s)", (schema, list(FUNCTION_BODIES)))}
    for name, body in FUNCTION_BODIES.items():
        definer = name in DEFINERS
        got = found_functions.get(name)
        if got is None or got[0] != body or got[1] != definer or got[3] != "plpgsql" \
                or (got[2] is not None) != definer:
            raise TamperError(f"the append-only guard function {name}() is missing or altered")


# the functions that run as their owner, with a fixed search_path
DEFINERS = ("ledger_events_appended", "ledger_lock_head")


def _normal(definition: str, schema: str) -> str:
    """pg_get_triggerdef qualifies the function with its schema when that is not on the
    search_path: the ledger's own schema is dropped, any other stays (and differs)."""
    return definition.replace(f"EXECUTE FUNCTION {schema}.", "EXECUTE FUNCTION ")
