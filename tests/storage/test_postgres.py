"""What only PostgreSQL has: roles and grants, triggers against the owner, passwords never shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from tests.pgserver import Server, free_port


def nl(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, ["--database-url", url, *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def one_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: "), result.stderr
    return errors[0]


@pytest.fixture
def database(pg_server: Server) -> Iterator[str]:
    url = pg_server.create_database("pg")
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def writer(pg_server: Server, database: str) -> Iterator[tuple[str, str]]:
    """A login role (name, password) with no privileges of its own."""
    name, password = f"writer_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    pg_server.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    yield name, password
    pg_server.execute(f"DROP OWNED BY {name}", dbname=database.rsplit("/", 1)[1])
    pg_server.execute(f"DROP ROLE {name}")


def test_the_owner_cannot_update_delete_or_truncate_either(database: str) -> None:
    ok(nl(database, "init"))
    ok(nl(database, "org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"))
    for table in ("netledger_events", "event_chain", "event_index"):
        for statement in (
            f"UPDATE {table} SET {_column(table)} = {_column(table)}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with psycopg.connect(database) as con, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(statement)  # type: ignore[arg-type]
    assert ok(nl(database, "verify")).stdout


def test_a_writer_role_appends_and_reads_but_cannot_change_anything(
    pg_server: Server, database: str, writer: tuple[str, str]
) -> None:
    name, password = writer
    result = ok(nl(database, "init", "--grant-writer", name))
    assert f"granted SELECT, INSERT (no UPDATE, DELETE, TRUNCATE) to role {name}" in result.stdout
    as_writer = pg_server.url(database.rsplit("/", 1)[1], name, password)
    ok(nl(as_writer, "org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"))
    ok(nl(as_writer, "org", "register", "rist", "--sector", "research_institute", "--name-en", "RIST"))
    ok(nl(as_writer, "partnership", "form", "--party", "postech", "--party", "rist", "--effective", "2019"))
    assert "partnership.formed" in ok(nl(as_writer, "log")).stdout
    ok(nl(as_writer, "verify"))
    ok(nl(as_writer, "network", "summary"))
    for statement in (
        "UPDATE netledger_events SET topic = topic",
        "DELETE FROM event_chain",
        "TRUNCATE event_index",
        "UPDATE ledger_meta SET value = 'x'",
        "INSERT INTO ledger_meta VALUES ('x', 'y')",
        "DROP TABLE event_chain",
    ):
        with psycopg.connect(as_writer) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute(statement)  # type: ignore[arg-type]


def test_a_change_made_behind_the_triggers_is_found_by_verify(pg_server: Server, database: str) -> None:
    ok(nl(database, "demo"))
    with psycopg.connect(database) as con:  # a superuser can switch triggers off: verify still sees it
        con.execute("ALTER TABLE netledger_events DISABLE TRIGGER USER")
        con.execute("UPDATE netledger_events SET state = state || '\\x20'::bytea WHERE notification_id = 7")
        con.execute("ALTER TABLE netledger_events ENABLE TRIGGER USER")
    result = nl(database, "verify")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "modified position 7" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


PASSWORD_COMMANDS: list[tuple[str, ...]] = [
    ("init",),
    ("org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"),
    ("org", "register", "postech", "--sector", "nonsense"),
    ("partnership", "form", "--party", "postech", "--party", "ghost", "--effective", "2020"),
    ("log",),
    ("show", "postech"),
    ("verify",),
    ("network", "summary"),
    ("import", "/nonexistent.jsonl", "--format", "jsonl"),
]


def test_the_password_never_appears_in_output_or_errors(pg_server: Server, database: str) -> None:
    secret = "s3cret-" + uuid.uuid4().hex
    role = f"owner_{uuid.uuid4().hex[:8]}"
    dbname = database.rsplit("/", 1)[1]
    pg_server.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{secret}'", f"ALTER DATABASE {dbname} OWNER TO {role}")
    pg_server.execute(f"GRANT ALL ON SCHEMA public TO {role}", dbname=dbname)
    url = pg_server.url(dbname, role, secret)
    seen = []
    for args in PASSWORD_COMMANDS:
        result = nl(url, *args)
        seen.append(result.stdout + result.stderr)
    assert all(result for result in seen)
    assert not any(secret in text for text in seen), [t for t in seen if secret in t]
    # A wrong password, a server that is down, a database that does not exist: one line, no password.
    for bad in (
        pg_server.url(dbname, role, secret + "-wrong"),
        f"postgresql://{role}:{secret}@127.0.0.1:{free_port()}/{dbname}",
        pg_server.url("no_such_database", role, secret),
    ):
        line = one_error(nl(bad, "log"), 2)
        assert secret not in line and "cannot open postgresql://" in line
    # The password may come from PGPASSWORD instead of the URL: never shown either.
    from_env = pg_server.url(dbname, role)
    ok(nl(from_env, "log", env={"PGPASSWORD": secret}))
    line = one_error(nl(from_env, "log", env={"PGPASSWORD": secret + "-wrong"}), 2)
    assert secret not in line


def test_init_grant_writer_needs_postgresql(tmp_path: object) -> None:
    result = CliRunner().invoke(cli, ["--db", f"{tmp_path}/l.db", "init", "--grant-writer", "someone"])
    line = one_error(result, 2)
    assert "grant-writer" in line


def test_a_url_without_a_database_name_is_a_usage_error() -> None:
    line = one_error(CliRunner().invoke(cli, ["--database-url", "postgresql://u:pw@127.0.0.1:1/", "log"]), 2)
    assert "database-url" in line and "pw" not in line.replace("postgresql", "")


def _column(table: str) -> str:
    return {"netledger_events": "topic", "event_chain": "leaf_hash", "event_index": "event_id"}[table]


def test_a_writer_role_signs_its_events_on_a_ledger_that_requires_signatures(
    pg_server: Server, database: str, writer: tuple[str, str], tmp_path: object
) -> None:
    from pathlib import Path

    from domain.integrity import checkpoint as cp

    ring = Path(str(tmp_path)) / "ring"
    ring.mkdir()
    private, public = cp.keygen(ring / "writer.key")
    name, password = writer
    ok(nl(database, "init", "--require-signatures", "--grant-writer", name))
    as_writer = pg_server.url(database.rsplit("/", 1)[1], name, password)
    line = one_error(nl(as_writer, "org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"), 1)
    assert "requires every event signed" in line
    signed = ("--sign-key", str(private))
    ok(nl(as_writer, *signed, "org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"))
    ok(nl(as_writer, *signed, "org", "register", "rist", "--sector", "research_institute", "--name-en", "RIST"))
    kid = cp.key_id(cp._read_key(public, private=False))
    out = ok(nl(as_writer, "verify", "--keyring", str(ring))).stdout
    assert f"signed by key {kid} (writer.key.pub): 2 events" in out
    with psycopg.connect(as_writer) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("DELETE FROM event_signatures")
    with psycopg.connect(database) as con, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        con.execute("UPDATE event_signatures SET signature = signature")
