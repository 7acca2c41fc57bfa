"""Re-classification after a topics.yml edit, trying an edit first, and overrides that stick."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from ailabor.classify import UnknownItem, reclassify, set_override
from ailabor.cli import cli
from ailabor.records import BillItem
from ailabor.relevance import DEFAULT_PATH, load_taxonomy
from ailabor.store.writer import Store

TAXONOMY = load_taxonomy()


def _store(database, identifier: str, title: str, summary: str = "") -> str:
    item = BillItem(jurisdiction="me", session="2025", identifier=identifier, title=title, summary=summary,
                    source="test", actions=[], sponsors=[], versions=[])
    item.relevance = TAXONOMY.classify(item.title, item.summary, item.subjects)
    Store(database).save([item])
    return item.id


@pytest.fixture
def edited_topics(tmp_path):
    """topics.yml plus one new work phrase, as the director would add it."""
    data = yaml.safe_load(DEFAULT_PATH.read_text())
    data["work_phrases"].append("lighthouse keeper")
    path = tmp_path / "topics.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_reclassify_after_an_edit_changes_the_stored_rows(fresh_db, edited_topics):
    bill = _store(fresh_db, "LD 1", "Artificial intelligence systems replacing lighthouse keepers")
    assert fresh_db["bills"].get(bill)["relevant"] == 0
    result = reclassify(fresh_db, load_taxonomy(edited_topics))
    assert (result.total, result.became_relevant, result.dropped) == (1, 1, 0)
    assert fresh_db["bills"].get(bill)["relevant"] == 1
    matched = json.loads(fresh_db.execute("SELECT matched FROM bill_topics WHERE bill_id = ?", [bill]).fetchone()[0])
    assert any("lighthouse" in m.lower() for m in matched)


def test_reclassify_with_an_unchanged_taxonomy_changes_nothing(fresh_db):
    _store(fresh_db, "LD 2", "Digital replicas of performers' voices in contracts")
    result = reclassify(fresh_db, TAXONOMY)
    assert (result.changed, result.retagged) == (0, 0)


def test_override_survives_reclassification_and_recrawl(fresh_db, edited_topics):
    bill = _store(fresh_db, "LD 3", "Digital replicas of performers' voices in contracts")
    set_override(fresh_db, bill, False, "covered by another campaign", TAXONOMY)
    assert fresh_db["bills"].get(bill)["relevant"] == 0
    reclassify(fresh_db, load_taxonomy(edited_topics))
    assert fresh_db["bills"].get(bill)["relevant"] == 0
    _store(fresh_db, "LD 3", "Digital replicas of performers' voices in contracts", "amended")
    assert fresh_db["bills"].get(bill)["relevant"] == 0
    set_override(fresh_db, bill, None, None, TAXONOMY)
    assert fresh_db["bills"].get(bill)["relevant"] == 1


def test_override_of_an_unknown_id_is_refused(fresh_db):
    with pytest.raises(UnknownItem):
        set_override(fresh_db, "us-119-hr99999", True, None, TAXONOMY)
    assert fresh_db["overrides"].count == 0


def test_cli_override_unknown_id_is_one_line(fresh_db, db_path):
    result = CliRunner().invoke(cli, ["override", "xx-1-nothing", "--relevant", "yes", "--db", str(db_path)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "no bill or meeting has the id" in result.output


def test_cli_classify_reports_how_many_changed(fresh_db, db_path, edited_topics):
    _store(fresh_db, "LD 4", "Artificial intelligence systems replacing lighthouse keepers")
    result = CliRunner().invoke(cli, ["classify", "--db", str(db_path), "--topics", str(edited_topics)])
    assert result.exit_code == 0
    assert "1 changed relevance (1 now relevant, 0 no longer)" in result.output


def test_jsonl_classifies_without_storing(db_path):
    lines = "\n".join([
        json.dumps({"title": "Automated employment decision tools; bias audits", "summary": "", "subjects": []}),
        json.dumps({"title": "Artificial turf on school athletic fields"}),
        "not json",
    ])
    result = CliRunner().invoke(cli, ["classify", "--jsonl", "--db", str(db_path)], input=lines)
    out = [json.loads(line) for line in result.output.strip().splitlines()]
    assert out[0]["relevant"] is True and "ai-employment-decisions" in out[0]["topics"]
    assert out[1]["relevant"] is False
    assert out[2]["error"].startswith("line 3")
    assert not db_path.exists()


def test_eval_prints_precision_and_recall(tmp_path):
    labelled = tmp_path / "labelled.yml"
    labelled.write_text(yaml.safe_dump([
        {"identifier": "AB 2602", "jurisdiction": "ca", "relevant": True,
         "title": "Contracts against public policy: personal or professional services: digital replicas"},
        {"identifier": "HB 1", "jurisdiction": "tx", "relevant": False, "title": "Artificial turf in stadiums"},
    ]))
    result = CliRunner().invoke(cli, ["classify", "--eval", str(labelled)])
    assert result.exit_code == 0
    assert "precision 1.00" in result.output and "recall 1.00" in result.output
