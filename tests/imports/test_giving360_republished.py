"""A funder's republished file: amendments for changed grants, awards for new ones, the missing ones listed.

The reference is the two files themselves: which grant ids changed, appeared or disappeared, and each
changed grant's new values, are computed here from the JSON, independently of the importer.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli.main import cli
from domain.ledger import Ledger
from domain.support import Support
from projections.terms import known, relation_on

DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
ALWF = DATA / "alwf-a003W000001B7PzQAK.json"


def run(db: Path, source: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", str(db), "import", "--create", str(source), "--format", "360giving", *extra]
    )


def republished(grants: list[dict[str, Any]], seed: int = 13) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The file again with 5% of grants changed, 2% removed and 3% added; and what was done to it."""
    rng = random.Random(seed)
    n = len(grants)
    ids = [g["id"] for g in grants]
    removed = set(rng.sample(ids, round(n * 0.02)))
    kept = [g for g in grants if g["id"] not in removed]
    changed = rng.sample([g["id"] for g in kept], round(n * 0.05))
    new_grants = []
    for grant in kept:
        grant = json.loads(json.dumps(grant))  # a copy
        if grant["id"] in changed:
            what = changed.index(grant["id"]) % 3
            if what == 0:
                grant["amountAwarded"] = grant["amountAwarded"] + 1000
            elif what == 1:
                grant["title"] = grant["title"] + " (corrected)"
            else:  # a member kept verbatim, and the recipient's name as given on this grant
                grant["amountAppliedFor"] = 1
                grant["recipientOrganization"][0]["name"] += " Ltd"
            grant["dateModified"] = "2022-06-30T12:00:00+00:00"
        new_grants.append(grant)
    added = []
    for k in range(round(n * 0.03)):
        grant = json.loads(json.dumps(grants[k]))
        grant["id"] = f"{grant['id']}-new{k}"
        added.append(grant["id"])
        new_grants.append(grant)
    return new_grants, {"removed": removed, "changed": set(changed), "added": set(added)}


def write(path: Path, grants: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"grants": grants}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_republished_file_becomes_amendments(tmp_path: Path) -> None:
    grants = json.loads(ALWF.read_text(encoding="utf-8"))["grants"]
    new, done = republished(grants)
    assert (len(done["changed"]), len(done["removed"]), len(done["added"])) == (24, 10, 14)
    db = tmp_path / "l.db"
    assert run(db, ALWF).exit_code == 0
    with Ledger(db) as ledger:
        before = ledger.count()
    source = write(tmp_path / "v2.json", new)
    result = run(db, source)
    assert result.exit_code == 0, result.stderr
    assert "(24 support.amended, 14 support.awarded)" in result.stderr, result.stderr
    assert f"{len(grants) - 10 - 24} already recorded" in result.stderr
    missing = result.stderr.split("missing from the file, kept (--withdraw-missing withdraws them): ")[1].split("\n")[0]
    assert set(missing.split(", ")) == done["removed"]
    with Ledger(db) as ledger:
        events = list(ledger.events())
    assert len(events) == before + 24 + 14 + 1  # and the import's import.recorded
    amended = [e for _, e in events if isinstance(e, Support.Amended)]
    by_support = {e.originator_id: e.reference for _, e in events if isinstance(e, Support.Awarded)}
    assert {by_support[e.originator_id] for e in amended} == done["changed"]
    source_by_id = {g["id"]: g for g in new}
    for e in amended:
        grant = source_by_id[by_support[e.originator_id]]
        assert str(e.effective) == "2022-06-30"
        changed_fields = {name for name in Support.Amended.payload_fields() if getattr(e, name) is not None}
        if e.amount is not None:  # only what changed
            assert e.amount == Decimal(str(grant["amountAwarded"])) and changed_fields == {
                "amount",
                "currency",
                "giving360",
            }
        elif e.title is not None:
            assert e.title == grant["title"] and changed_fields == {"title", "giving360"}
        else:
            assert changed_fields == {"giving360"}
            assert e.giving360 is not None and e.giving360.original["amountAppliedFor"] == 1
            assert e.giving360.recipientOrganization is not None
            assert e.giving360.recipientOrganization[0]["name"].endswith(" Ltd")
    # Re-importing the same file writes nothing.
    again = run(db, source)
    assert again.exit_code == 0, again.stderr
    assert "wrote 0 event(s)" in again.stderr
    # The export now equals the republished file (the removed grants still in the ledger, not withdrawn).
    out = tmp_path / "out.json"
    exported = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "360giving", "--out", str(out)])
    assert exported.exit_code == 0, exported.stderr
    out_by_id = {g["id"]: g for g in json.loads(out.read_text(encoding="utf-8"))["grants"]}
    for grant_id in done["changed"] | done["added"]:
        grant = source_by_id[grant_id]
        assert {k: out_by_id[grant_id].get(k) for k in grant} == grant
    verify = CliRunner().invoke(cli, ["--db", str(db), "verify"])
    assert verify.exit_code == 0, verify.stderr
    # --withdraw-missing withdraws the missing ones, once.
    withdrawn = run(db, source, "--withdraw-missing")
    assert withdrawn.exit_code == 0, withdrawn.stderr
    assert "(10 support.withdrawn)" in withdrawn.stderr
    with Ledger(db) as ledger:
        events = list(ledger.events())
        live: dict[Any, list[Any]] = {}
        for p, e in events:
            live.setdefault(e.originator_id, []).append((p, e))
    statuses = {
        by_support[uid]: relation_on(known(found)[0], "2100-01-01").status
        for uid, found in live.items()
        if uid in by_support
    }
    assert {g for g, s in statuses.items() if s == "withdrawn"} == done["removed"]
    assert "wrote 0 event(s)" in run(db, source, "--withdraw-missing").stderr


def test_a_republished_grant_cannot_change_its_recipient(tmp_path: Path) -> None:
    grants = json.loads(ALWF.read_text(encoding="utf-8"))["grants"][:3]
    db = tmp_path / "l.db"
    assert run(db, write(tmp_path / "v1.json", grants)).exit_code == 0
    with Ledger(db) as ledger:
        before = ledger.count()
    grants[1]["recipientOrganization"][0]["id"] = "GB-CHC-999"
    result = run(db, write(tmp_path / "v2.json", grants))
    assert result.exit_code == 1
    assert f"grant 2 ({grants[1]['id']}): recipients: differs from grant" in result.stderr
    with Ledger(db) as ledger:
        assert ledger.count() == before


def test_a_grant_imported_before_imports_kept_every_field_is_brought_up_to_date(tmp_path: Path) -> None:
    """A ledger written before giving360 existed (a v1 award, title trimmed): the file again amends it."""
    from domain.imports.giving360 import grant_event_id

    grant = json.loads(ALWF.read_text(encoding="utf-8"))["grants"][0]
    grant["title"] = f" {grant['title']} "  # the old import trimmed it
    db = tmp_path / "l.db"
    with Ledger(db, create=True) as ledger:
        funder, recipient = grant["fundingOrganization"][0], grant["recipientOrganization"][0]
        ledger.register_organisation(
            "gb-chc-1015648", sector="funder", name_en=funder["name"], identifiers=["GB-CHC:1015648"]
        )
        ledger.register_organisation(
            "gb-edu-133843", sector="firm", name_en=recipient["name"], identifiers=["GB-EDU:133843"]
        )
        event_id = grant_event_id(grant["id"])
        ledger.award_support(
            kind="grant",
            funders=["gb-chc-1015648:funder"],
            recipients=["gb-edu-133843:recipient"],
            amount=str(grant["amountAwarded"]),
            currency="GBP",
            effective=grant["awardDate"][:10],
            title=grant["title"].strip(),
            description=grant["description"],
            reference=grant["id"],
            event_id=str(event_id),
            source=grant["dataSource"],
        )
    result = run(db, write(tmp_path / "g.json", [grant]))
    assert result.exit_code == 0, result.stderr
    assert "(1 support.amended)" in result.stderr
    with Ledger(db) as ledger:
        (amended,) = [e for _, e in ledger.events() if isinstance(e, Support.Amended)]
    assert amended.title == grant["title"] and amended.giving360 is not None
    assert amended.giving360.original["amountAppliedFor"] == grant["amountAppliedFor"]
    assert "wrote 0 event(s)" in run(db, write(tmp_path / "g.json", [grant])).stderr
