"""Auditors' commands: verify, keygen, checkpoint, prove, verify-proof, replay, export, restore, migrate."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import IO, Any

import click

from cli.context import Settings, currency_code, pass_settings, reads
from cli.output import emit, force_option, output_to, terminal
from cli.when import as_of_option, cut_of, cut_options, day, timestamp
from domain.errors import InputError, RuleViolation
from domain.ledger import Ledger

#: How ``verify`` names what it checked besides the chain.
CHECKS = {
    "index": "index",
    "meta": "meta rows",
    "deep": "every event decoded and its rules replayed",
    "signatures": "signatures",
}


def _report_problem(report: Any) -> None:
    if report.problem is not None:
        raise RuleViolation("verify", str(report.problem), "see docs/auditor.md for what each kind means")


@click.command()
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also prove the log extends this signed checkpoint.",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    metavar="PUB",
    help="Public key that signed the checkpoint (required with --checkpoint).",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also decode every event and replay the ledger's rules in order (what checkpoint does).",
)
@click.option(
    "--keyring",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Every signed event must be signed by a key whose .pub file is in DIR; reports who signed what.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
@reads
def verify(
    ledger: Ledger, checkpoint_file: str | None, public_key: str | None, deep: bool, keyring: str | None, fmt: str
) -> None:
    """Recompute every hash from genesis, check the index and the meta rows; exit 1 at the first damage.

    The damage is named by its kind and position. --deep also decodes every event and
    replays the ledger's rules, as checkpoint does before it signs.
    """
    from domain.integrity import checkpoint as cp
    from domain.integrity.verify import verify_log

    checkpoint = None
    if checkpoint_file:
        if not public_key:
            raise InputError("--public-key", "is required with --checkpoint", "give the signer's .pub file")
        checkpoint = cp.load(checkpoint_file)
        cp.check_signature(checkpoint, public_key)
    ring = None
    if keyring is not None:
        from domain.integrity.signatures import load_keyring

        ring = load_keyring(keyring)
    ledger.require_current_schema()
    report = verify_log(ledger, checkpoint, deep=deep, keyring=ring)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
        if not report.ok:
            raise click.exceptions.Exit(1)
        return
    _report_problem(report)
    click.echo(f"ok: {report.size} events verified from genesis")
    click.echo(f"checked: hash chain, {', '.join(CHECKS[c] for c in report.checks)}")
    click.echo(f"head: {report.head.hex()}")
    click.echo(f"root: {report.root.hex()}")
    for line in report.provenance:
        click.echo(line)
    for line in report.checked_against:
        click.echo(f"extends the {line}")


@click.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="KEY",
    help="Private key file to write (mode 0600); the public key goes to KEY.pub.",
)
def keygen(out: str) -> None:
    """Create an Ed25519 key pair for signing checkpoints."""
    from domain.integrity.checkpoint import keygen as make

    private, public = make(out)
    click.echo(f"private key: {private} (keep it secret)\npublic key: {public} (publish it)")


@click.command()
@click.option("--key", required=True, type=click.Path(dir_okay=False), metavar="KEY", help="Private key from keygen.")
@click.option(
    "--out", type=click.Path(dir_okay=False), metavar="FILE", help="Write the checkpoint here (default: stdout)."
)
@click.option(
    "--previous",
    "previous_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A checkpoint the ledger must still extend (repeatable), besides the last one remembered in KEY.checkpoints.",
)
@force_option
@reads
def checkpoint(ledger: Ledger, key: str, out: str | None, previous_files: tuple[str, ...], force: bool) -> None:
    """Write a signed checkpoint of the ledger as it is now (deep-verified first).

    Every checkpoint signed with KEY is remembered in KEY.checkpoints; the ledger must be a
    consistent extension of the last one signed for it (and of each --previous), or nothing
    is signed.
    """
    from domain.integrity import checkpoint as cp
    from domain.integrity.proofs import checkpoint_of

    ledger.require_current_schema()
    target = output_to(out or "-", force=force)
    previous = [cp.load(f) for f in previous_files]
    last = cp.remembered(key, ledger.meta.get("ledger_id", ""))
    if last is not None:
        previous.append(last)
    signed = cp.sign(checkpoint_of(ledger, previous), key)
    cp.remember(key, signed)
    target.write(signed.text())
    if not target.is_stdout:
        click.echo(f"checkpoint of {ledger.name} written to {out}", err=True)


@click.command()
@click.argument("event_id", metavar="EVENT_ID")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The checkpoint to prove against.",
)
@reads
def prove(ledger: Ledger, event_id: str, checkpoint_file: str) -> None:
    """Print a JSON proof that EVENT_ID is in the checkpointed log."""
    from domain.integrity import checkpoint as cp
    from domain.integrity.proofs import prove as make

    ledger.require_current_schema()
    click.echo(json.dumps(make(ledger, event_id, cp.load(checkpoint_file)), indent=2))


@click.command("verify-proof")
@click.argument("proof_file", type=click.File("rb"), metavar="PROOF")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The checkpoint the proof refers to.",
)
@click.option(
    "--public-key",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="PUB",
    help="Public key that signed the checkpoint.",
)
def verify_proof(proof_file: IO[bytes], checkpoint_file: str, public_key: str) -> None:
    """Check an inclusion proof without the database."""
    from domain.integrity import checkpoint as cp
    from domain.integrity.proofs import check_inclusion

    try:
        proof = json.loads(proof_file.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("PROOF", f"is not JSON ({exc})", "give the file 'netledger prove' wrote") from None
    if not isinstance(proof, dict):
        raise InputError("PROOF", "is not a JSON object", "give the file 'netledger prove' wrote")
    checkpoint = cp.load(checkpoint_file)
    cp.check_signature(checkpoint, public_key)
    event = check_inclusion(proof, checkpoint)
    click.echo(
        terminal(
            f"proven: event {event['event_id']} ({event['topic'].split(':')[-1]}) is at position "
            f"{event['position']} of ledger '{checkpoint.ledger}' as checkpointed at size {checkpoint.size} "
            f"({checkpoint.time})"
        )
    )


@click.command()
@click.option("--known-at", metavar="TIMESTAMP", help="Events recorded at or before this moment (UTC if no zone).")
@click.option("--position", type=click.IntRange(min=0), metavar="N", help="Events at positions 1..N.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True, help="Output format."
)
@reads
def replay(ledger: Ledger, known_at: str | None, position: int | None, fmt: str) -> None:
    """Print the events as the ledger had them at a past moment, each with its status as known then."""
    from projections.timeline import LOG_HEADER, TABLE_COLUMNS, log_record, statuses, table_row

    if (known_at is None) == (position is None):
        raise InputError("--known-at/--position", "give exactly one of them", "e.g. --position 43")
    stamp = timestamp(known_at, "--known-at")
    status = statuses(ledger, position=position, known_at=stamp)
    events = ((p, e) for p, e in ledger.events(upto=position) if stamp is None or e.recorded_at <= stamp)
    if fmt == "table":
        emit((table_row(p, e, status.get(p, "")) for p, e in events), "table", TABLE_COLUMNS)
    else:
        emit((log_record(p, e, status.get(p, "")) for p, e in events), "jsonl", LOG_HEADER)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "graphml", "gexf", "360giving"]),
    default="jsonl",
    show_default=True,
    help="jsonl: every event with its hashes; graphml/gexf: the network; "
    "360giving: grants as a 360Giving 1.4.3 package.",
)
@click.option("--out", type=click.Path(dir_okay=False), metavar="FILE", help="Write here (default: stdout).")
@force_option
@as_of_option(
    "graphml/gexf/360giving: the network or the grants on DATE (YYYY and YYYY-MM: the period's last day; "
    "default: today)."
)
@cut_options
@click.option("--ties", "one_per_tie", is_flag=True, help="graphml/gexf: one edge per tie instead of one per pair.")
@click.option("--directed", is_flag=True, help="graphml/gexf: the support flows, funder to recipient.")
@click.option(
    "--weight",
    default="none",
    show_default=True,
    metavar="none|ties|amount",
    help="graphml/gexf: the edges' weight, as the analysis weighs pairs.",
)
@click.option(
    "--currency",
    metavar="CODE",
    help="graphml/gexf with --weight amount: the currency of the weights (needed when the ties carry several).",
)
@click.option(
    "--tie-type",
    "tie_types",
    multiple=True,
    metavar="TYPE",
    help="graphml/gexf: only ties of this type: partnership, agreement or support (repeatable).",
)
@reads
def export(
    ledger: Ledger,
    fmt: str,
    out: str | None,
    force: bool,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    one_per_tie: bool,
    directed: bool,
    weight: str,
    currency: str | None,
    tie_types: tuple[str, ...],
) -> None:
    """Export the ledger for auditors, Gephi or 360Giving.

    jsonl is the whole log with its hashes (a backup; it takes no date). graphml and
    gexf write the network on --as-of as the analysis reads it: one undirected edge
    per pair of organisations tied then, with the names and terms in force then
    (--ties: one edge per tie; --directed: the support flows); 360giving the grants as
    they stood then. --known-at/--position answer as the ledger knew it then.
    """
    target = output_to(out or "-", force=force)
    cut = cut_of(known_at, position)
    when = day(as_of)
    text = io.StringIO()
    if fmt != "jsonl":  # every export is of a ledger that verifies (the jsonl export checks as it reads)
        from domain.integrity.proofs import require_clean
        from domain.integrity.verify import verify_log

        require_clean(verify_log(ledger))
    if fmt == "jsonl":
        from domain.integrity.archive import dumps, export_lines

        if as_of is not None or known_at is not None or position is not None:
            raise InputError(
                "--as-of", "a jsonl export is the whole log", "leave out --as-of, --known-at and --position"
            )
        ledger.require_current_schema()
        for record in export_lines(ledger):
            text.write(dumps(record) + "\n")
    elif fmt == "360giving":
        from projections.exports import export_360giving

        package, skipped = export_360giving(ledger, as_of=when, position=cut.position, known_at=cut.known_at)
        text.write(json.dumps(package, ensure_ascii=False, indent=2) + "\n")
        click.echo(f"{len(package['grants'])} grant(s) exported; {len(skipped)} support(s) skipped", err=True)
        for item in skipped:
            click.echo(f"  skipped {item['support_id']} ({item['kind']}): {item['reason']}", err=True)
    else:
        from projections import graphfiles
        from projections.engines import TIE_TYPES, WEIGHTS, check_choice
        from projections.store import load_network

        if one_per_tie and directed:
            raise InputError("--ties", "give --ties or --directed, not both", "drop one of the two")
        shape = "ties" if one_per_tie else "directed" if directed else "analysis"
        graph = load_network(ledger, position=cut.position, known_at=cut.known_at)
        flat = graphfiles.export_graph(
            graph,
            as_of=when,
            tie_types=[check_choice(t, TIE_TYPES, "--tie-type") for t in tie_types] or None,
            shape=shape,
            weight=check_choice(weight, WEIGHTS, "--weight"),
            currency=currency_code(currency),
        )
        writer = graphfiles.write_graphml if fmt == "graphml" else graphfiles.write_gexf
        buffer = io.BytesIO()
        writer(flat, buffer)
        text.write(buffer.getvalue().decode("utf-8"))
    target.write(text.getvalue())


@click.command()
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@pass_settings
def restore(settings: Settings, file: IO[bytes]) -> None:
    """Restore an export into a new, empty ledger (--db), checking every hash first."""
    from domain.imports.jsonl import records as read_records
    from domain.integrity.archive import read_export
    from domain.integrity.archive import restore as write
    from domain.mapper import PydanticMapper

    path = Path(settings.db)
    is_file = settings.database_url is None
    if is_file and path.exists() and path.stat().st_size > 0:
        with Ledger(path) as existing:
            if existing.count():
                raise RuleViolation("db", f"{path} already holds {existing.count()} events", "restore into a new file")
    header, stored, signatures = read_export(read_records(file), PydanticMapper())
    try:
        with Ledger(
            settings.target,
            actor=settings.actor,
            create=True,
            name=header.get("ledger"),
            ledger_id=header.get("ledger_id"),
        ) as ledger:
            result = write(ledger, header, stored, signatures)
            where = ledger.location
    except BaseException:
        if is_file:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    click.echo(f"restored {result['events']} events into {where}; head {result['head']}")


@click.command()
@reads
def migrate(ledger: Ledger) -> None:
    """Bring a ledger made by an earlier netledger to the current schema (once; records when).

    Schema 1 gets its hash chain, schema 2 its sealed meta rows. A ledger that says it is
    older than it is (its schema version set back) is refused.
    """
    from domain.integrity.migrate import migrate as run

    result = run(ledger)
    if not result["migrated"]:
        click.echo(f"nothing to do: schema {result['schema_version']} already")
    elif result["from"] == 1:
        click.echo(f"migrated: hashed {result['events']} events at {result['at']}; schema {result['schema_version']}")
    else:
        click.echo(f"migrated: sealed the meta rows at {result['at']}; schema {result['schema_version']}")


COMMANDS = [verify, keygen, checkpoint, prove, verify_proof, replay, export, restore, migrate]
