"""Email digests: a real SMTP server on loopback receives them; each event is told once, none is lost."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from ailabor.cli import cli
from ailabor.config import ConfigError
from ailabor.digest.config import DigestDef, load_digests
from ailabor.digest.run import run_digest
from ailabor.digest.select import select_digest
from ailabor.digest.send import DigestFailed
from ailabor.positions import set_position
from ailabor.records import Action, BillItem, MeetingItem
from ailabor.relevance import load_taxonomy
from ailabor.store.writer import Store, save_topics

TAXONOMY = load_taxonomy()
TODAY = date(2025, 3, 3)
SITE = "https://watch.union.example"
PASSWORD = "hunter2-never-shown"

DIGESTS = """
daily:
  subject: "AI Labor Watch, daily"
  recipients: [director@union.example, deputy@union.example]
  look_ahead_days: 14
  show_notes: true
replicas-ca-ny:
  subject: "Replicas in CA and NY"
  recipients: [local@union.example]
  topics: [digital-replicas]
  jurisdictions: [ca, ny]
  look_ahead_days: 0
short:
  subject: "Short"
  recipients: [director@union.example]
  max_per_section: 1
"""


class Collector:
    """An aiosmtpd handler that keeps what it accepts and answers ``reply`` to each message.

    ``refuse`` maps an address to the reply its RCPT gets instead of 250; ``goodbye`` is the answer to
    QUIT, or "drop" to close the connection instead, as a server that accepted the message may.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.reply = "250 OK"
        self.delay = 0.0
        self.refuse: dict[str, str] = {}
        self.refused: list[str] = []
        self.goodbye = "221 Bye"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            self.refused.append(address)
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        if self.goodbye == "drop":
            server.transport.close()
        return self.goodbye

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.delay:
            time.sleep(self.delay)  # hold the connection, as a slow server does
        if self.reply.startswith("250"):
            parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return self.reply


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def env(smtp, tmp_path: Path) -> dict[str, str]:
    digests = tmp_path / "digests.yml"
    digests.write_text(DIGESTS)
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "0",
            "DIGEST_FROM": "AI Labor Watch <alerts@union.example>", "AILABOR_SITE_URL": SITE,
            "AILABOR_DIGESTS": str(digests)}


def _bill(jurisdiction: str, identifier: str, title: str, summary: str | None = None, **changes) -> BillItem:
    fields = dict(jurisdiction=jurisdiction, session="2025", identifier=identifier, title=title, summary=summary,
                  source="test", url=f"https://legislature.example/{jurisdiction}/{identifier.replace(' ', '')}",
                  actions=[Action("2025-02-10", "Introduced", "lower", ["introduction"])])
    fields.update(changes)
    item = BillItem(**fields)
    item.relevance = TAXONOMY.classify(item.title, item.summary, item.subjects)
    return item


def _replica_bill(jurisdiction: str = "ca", identifier: str = "AB 1836", **changes) -> BillItem:
    return _bill(jurisdiction, identifier, "Digital replicas of performers: contracts",
                 "Makes unenforceable a contract provision that allows a digital replica of a performer's voice.",
                 **changes)


def _hiring_bill(**changes) -> BillItem:
    return _bill("ca", "SB 7", "Automated decision systems: employment",
                 "Regulates automated decision systems used by employers in hiring.", **changes)


def _meeting(upstream_id: str, title: str, **changes) -> MeetingItem:
    fields = dict(id=f"fr-{upstream_id}", jurisdiction="us", kind="hearing", title=title, source="federal_register",
                  agency="Copyright Office", document_url=f"https://www.federalregister.gov/d/{upstream_id}")
    fields.update(changes)
    item = MeetingItem(**fields)
    item.relevance = TAXONOMY.classify(item.title, item.abstract, [item.agency or ""])
    return item


def _save(database, *items) -> None:
    save_topics(database, TAXONOMY)
    Store(database).save(list(items))


def _send(db_path: Path, env: dict[str, str], name: str = "daily"):
    return run_digest(name, db_path, today=TODAY, env=env)


def _parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def _rows(database) -> list[tuple]:
    return database.execute(
        "SELECT name, status, first_event_id, last_event_id FROM digests ORDER BY id").fetchall()


def _max_event(database) -> int:
    return database.execute("SELECT max(id) FROM events").fetchone()[0]


def test_digest_arrives_with_both_parts_every_section_links_and_headers(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill(), _hiring_bill())
    assert _send(db_path, env).status == "sent"
    set_position(fresh_db, "ca-2025-sb7", "oppose", "high", "Amend to cover contractors")
    moved = _replica_bill(actions=[Action("2025-02-10", "Introduced", "lower", ["introduction"]),
                                   Action("2025-02-28", "Passed the Assembly", "lower", ["passage"])])
    acted = _hiring_bill(actions=[Action("2025-02-10", "Introduced", "lower", ["introduction"]),
                                  Action("2025-03-01", "Referred to Com. on L. & E.", "lower", [])])
    _save(fresh_db, moved, acted, _bill("ny", "S 8420", "Digital replicas of performers: likeness",
                                        "Protects a performer's digital replica."),
          _meeting("2025-01", "Hearing on artificial intelligence in the workplace: electronic monitoring of workers",
                   start="2025-03-10T10:00:00", location="Room 101"),
          _meeting("2025-02", "Request for comment on artificial intelligence and copyright: training on creative "
                   "works", kind="request_for_comment", comments_close_on="2025-03-12"),
          _meeting("2025-03", "Rule: use of artificial intelligence in employment decisions", kind="rule",
                   agency="Equal Employment Opportunity Commission"))

    outcome = _send(db_path, env)

    assert outcome.status == "sent"
    assert len(smtp.messages) == 2
    recipients, message = smtp.messages[1]
    assert recipients == ["director@union.example", "deputy@union.example"]
    assert message["Subject"] == ("AI Labor Watch, daily: 1 status change, 1 new bill, 1 action or hearing, "
                                  "1 agency item, 1 meeting ahead, 1 comment deadline")
    assert message["From"] == "AI Labor Watch <alerts@union.example>"
    assert message["To"] == "director@union.example, deputy@union.example"
    assert message["List-Unsubscribe"] == "<mailto:alerts@union.example?subject=unsubscribe%20daily>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    for part in (text, html):
        for heading in ("Status changes", "New bills", "Actions and hearings on bills", "New from agencies",
                        "Coming up: meetings and hearings", "Comment periods closing"):
            assert heading.lower() in part.lower()
        assert f"{SITE}/tracker/bills/ca-2025-ab1836" in part
        assert f"{SITE}/tracker/bills/ny-2025-s8420" in part
        assert f"{SITE}/tracker/meetings/fr-2025-01" in part
        assert "https://legislature.example/ca/AB1836" in part
        assert "https://www.federalregister.gov/d/2025-02" in part
        assert "Referred to Com. on L." in part
        assert "Amend to cover contractors" in part
        assert "Digital replicas and synthetic performers" in part  # the topic's name ...
        # ... and the phrase that matched, as the bill wrote it (each phrase once, however often it recurs)
        assert re.search(r"(&ldquo;|“|\")Digital replicas(&rdquo;|”|\")", part)
    assert "Moved: introduced -> passed chamber" in text
    assert "Union position: OPPOSE (priority high)" in text
    assert f'<a href="{SITE}/tracker/bills/ca-2025-sb7"' in html
    assert '<body style="' in html and '<p class="head" style="' in html  # CSS inlined for mail programs
    assert _rows(fresh_db)[-1] == ("daily", "sent", 3, _max_event(fresh_db))


def test_second_run_sends_nothing_and_later_events_are_sent_once(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    assert _send(db_path, env).status == "sent"

    result = CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path)], env=env)

    assert result.exit_code == 0
    assert "nothing new" in result.output
    assert len(smtp.messages) == 1
    _save(fresh_db, _replica_bill("ny", "S 8420"))
    assert _send(db_path, env).status == "sent"
    assert _send(db_path, env).status == "nothing"
    assert len(smtp.messages) == 2
    text, _ = _parts(smtp.messages[1][1])
    assert "NY S 8420" in text and "CA AB 1836" not in text
    assert [r[1] for r in _rows(fresh_db)] == ["sent", "sent"]


def test_refused_message_is_not_marked_sent_and_the_next_run_sends_it_all(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    smtp.reply = "554 5.7.1 Message rejected as spam"

    with pytest.raises(DigestFailed, match="554 5.7.1 Message rejected as spam"):
        _send(db_path, env)

    assert _rows(fresh_db) == [("daily", "failed", 1, 1)]
    smtp.reply = "250 OK"
    _save(fresh_db, _replica_bill("ny", "S 8420"))
    assert _send(db_path, env).status == "sent"
    text, _ = _parts(smtp.messages[0][1])
    assert "CA AB 1836" in text and "NY S 8420" in text
    assert _rows(fresh_db)[-1] == ("daily", "sent", 1, 2)


def _deliveries(database) -> list[dict[str, tuple[str, int]]]:
    """Each digest's recipients: what became of each, after how many tries."""
    return [{address: (d["status"], d["tries"]) for address, d in json.loads(row[0] or "{}").items()}
            for row in database.execute("SELECT deliveries FROM digests ORDER BY id")]


@pytest.mark.review("bad_goodbye")
@pytest.mark.parametrize("goodbye", ["421 4.4.2 closing connection", "drop"])
def test_a_message_accepted_before_a_bad_goodbye_is_sent_once_in_three_runs(fresh_db, db_path, smtp, env, goodbye,
                                                                           record_property):
    _save(fresh_db, _replica_bill())
    smtp.goodbye = goodbye

    runs = [CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path)], env=env) for _ in range(3)]

    record_property("runs", len(runs))
    record_property("duplicates", len(smtp.messages) - 1)
    assert len(smtp.messages) == 1
    assert _rows(fresh_db) == [("daily", "sent", 1, 1)]
    assert [run.exit_code for run in runs] == [0, 0, 0]


@pytest.mark.review("refused_recipient")
def test_a_refused_recipient_is_recorded_and_only_it_gets_that_digest_next_run(fresh_db, db_path, smtp, env,
                                                                              record_property):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": "550 5.1.1 <deputy@union.example>: mailbox disabled"}

    first = _send(db_path, env)

    assert first.status == "sent"
    assert "sent to director@union.example:" in first.line
    assert "deputy@union.example (550 5.1.1 <deputy@union.example>: mailbox disabled)" in first.line
    assert _deliveries(fresh_db) == [{"director@union.example": ("accepted", 1),
                                      "deputy@union.example": ("refused", 1)}]
    smtp.refuse = {}
    _save(fresh_db, _replica_bill("ny", "S 8420"))

    second = _send(db_path, env)
    third = _send(db_path, env)

    assert (second.status, third.status) == ("sent", "nothing")
    assert second.retries == ["daily: events 1–1 sent to deputy@union.example, refused before"]
    assert [recipients for recipients, _ in smtp.messages] == [
        ["director@union.example"], ["deputy@union.example"], ["director@union.example", "deputy@union.example"]]
    copies = Counter((address, message["Message-ID"]) for recipients, message in smtp.messages
                     for address in recipients)
    record_property("runs", 3)
    record_property("duplicates", sum(n - 1 for n in copies.values()))
    first_copy, retried, _ = (message for _, message in smtp.messages)
    assert retried["Message-ID"] == first_copy["Message-ID"]
    assert "CA AB 1836" in _parts(retried)[0] and "NY S 8420" not in _parts(retried)[0]
    assert _deliveries(fresh_db) == [
        {"director@union.example": ("accepted", 1), "deputy@union.example": ("accepted", 2)},
        {"director@union.example": ("accepted", 1), "deputy@union.example": ("accepted", 1)}]


@pytest.mark.review("refused_recipient")
@pytest.mark.parametrize(("reply", "tries"), [("550 5.1.1 no such user", 2), ("452 4.2.2 mailbox full", 4)])
def test_a_recipient_refused_every_time_is_given_up_after_its_retries(fresh_db, db_path, smtp, env, reply, tries):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": reply}

    outcomes = [_send(db_path, env) for _ in range(6)]

    assert smtp.refused == ["deputy@union.example"] * tries
    assert [recipients for recipients, _ in smtp.messages] == [["director@union.example"]]
    assert _deliveries(fresh_db) == [{"director@union.example": ("accepted", 1),
                                      "deputy@union.example": ("given up", tries)}]
    assert outcomes[tries - 1].retries == [
        f"daily: gave up on deputy@union.example after {tries} tries ({reply}); events 1–1 not sent to them"]
    assert [o.retries for o in outcomes[tries:]] == [[]] * (6 - tries)


@pytest.mark.review("refused_recipient")
def test_a_retry_the_server_cannot_take_leaves_the_recipient_waiting_and_sends_nothing(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": "451 4.3.0 try again later"}
    _send(db_path, env)
    env = {**env, "SMTP_PORT": str(_free_port())}  # nothing listens there

    with pytest.raises(DigestFailed, match="could not talk to the mail server"):
        _send(db_path, env)

    assert _deliveries(fresh_db) == [{"director@union.example": ("accepted", 1),
                                      "deputy@union.example": ("refused", 1)}]


def test_send_failure_is_one_line_exit_non_zero_and_never_shows_the_password(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    # The loopback server offers no STARTTLS, so a run that must encrypt before logging in fails.
    env = {**env, "SMTP_STARTTLS": "1", "SMTP_USER": "alerts", "SMTP_PASSWORD": PASSWORD}

    result = CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path)], env=env)

    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ailabor: ") and "STARTTLS" in lines[0]
    assert PASSWORD not in result.output
    stored = fresh_db.execute("SELECT group_concat(message) FROM digests").fetchone()[0]
    assert stored and PASSWORD not in stored
    assert smtp.messages == []


def test_title_with_newline_and_html_cannot_inject_a_header_or_markup(fresh_db, db_path, smtp, env):
    title = "Digital replicas\r\nBcc: victim@evil.example\n\n<script>alert(1)</script><a href='x'>click</a>"
    _save(fresh_db, _bill("ca", "AB 6", title, "A performer's digital replica.", url="javascript:alert(1)"))

    _send(db_path, env)

    recipients, message = smtp.messages[0]
    assert recipients == ["director@union.example", "deputy@union.example"]
    assert message["Bcc"] is None
    assert "victim" not in str(message["Subject"]) + str(message["To"])
    text, html = _parts(message)
    assert "<script>" not in html and "<a href='x'>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert "* CA AB 6: Digital replicas Bcc: victim@evil.example <script>" in text  # one line, as written


def test_a_digest_for_one_topic_and_two_states_gets_only_those(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill("ca"), _replica_bill("ny", "S 8420"), _replica_bill("tx", "HB 99"),
          _hiring_bill(),
          _meeting("2025-04", "Hearing on digital replicas of performers and artificial intelligence",
                   start="2025-03-05"))

    assert _send(db_path, env, "replicas-ca-ny").status == "sent"

    recipients, message = smtp.messages[0]
    assert recipients == ["local@union.example"]
    text, html = _parts(message)
    assert "CA AB 1836" in text and "NY S 8420" in text
    for excluded in ("TX HB 99", "CA SB 7", "Copyright Office"):
        assert excluded not in text and excluded not in html
    assert message["Subject"] == "Replicas in CA and NY: 2 new bills"


def test_a_long_section_keeps_the_unions_priorities_and_links_to_the_rest(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill("ca", "AB 1"), _replica_bill("ny", "S 9"))
    set_position(fresh_db, "ny-2025-s9", "support", "high")

    _send(db_path, env, "short")

    message = smtp.messages[0][1]
    assert message["Subject"] == "Short: 2 new bills"
    for part in _parts(message):
        assert "NY S 9" in part and "CA AB 1" not in part
        assert "and 1 more" in part
    assert f"{SITE}/tracker/events?kind=bill_new&amp;id__gt=0&amp;id__lte=2" in _parts(message)[1]


def test_events_outside_a_digests_filters_are_checked_once_and_not_sent(fresh_db, db_path, smtp, env):
    _save(fresh_db, _hiring_bill())

    assert _send(db_path, env, "replicas-ca-ny").status == "empty"
    assert _send(db_path, env, "replicas-ca-ny").status == "nothing"

    assert smtp.messages == []
    assert _rows(fresh_db) == [("replicas-ca-ny", "empty", 1, 1)]


def test_two_runs_at_once_send_one_email(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    smtp.delay = 0.5
    outcomes = []
    runs = [threading.Thread(target=lambda: outcomes.append(_send(db_path, env).status)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert sorted(outcomes) == ["busy", "sent"]
    assert len(smtp.messages) == 1
    assert [r[1] for r in _rows(fresh_db)] == ["sent"]


def test_a_run_that_died_while_sending_blocks_nothing_and_its_events_are_sent(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    fresh_db["digests"].insert({"name": "daily", "status": "sending", "first_event_id": 1, "last_event_id": 1})
    db_path.with_name(f"{db_path.stem}.digest-daily.lock").touch()  # its lock file outlives it; its flock does not

    assert _send(db_path, env).status == "sent"

    assert [r[1] for r in _rows(fresh_db)] == ["failed", "sent"]
    assert "CA AB 1836" in _parts(smtp.messages[0][1])[0]


def test_dry_run_sends_and_records_nothing_and_writes_the_eml(fresh_db, db_path, smtp, env, tmp_path):
    _save(fresh_db, _replica_bill())
    out = tmp_path / "digest.eml"
    env = {k: v for k, v in env.items() if not k.startswith("SMTP_")}

    result = CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path), "--dry-run", "--out", str(out)],
                                env=env)

    assert result.exit_code == 0, result.output
    assert "Subject: AI Labor Watch, daily: 1 new bill" in result.output
    assert smtp.messages == [] and _rows(fresh_db) == []
    saved = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert saved["Subject"] == "AI Labor Watch, daily: 1 new bill"


def _crawl_run(database, source: str, started: str, status: str, message: str | None = None) -> None:
    database["crawl_runs"].insert({"source": source, "started_at": started, "finished_at": started,
                                   "status": status, "items": 3, "message": message})


@pytest.mark.review("source_health")
def test_footer_names_the_sources_that_failed_were_skipped_or_stopped_early_and_their_last_ok_run(
        fresh_db, db_path, smtp, env, tmp_path, monkeypatch):
    schedule = tmp_path / "schedule.yml"
    schedule.write_text('sources:\n  congress: {cron: "0 6 * * *"}\n  regulations_gov: {cron: "0 6 * * *"}\n')
    monkeypatch.setenv("AILABOR_SCHEDULE", str(schedule))
    _crawl_run(fresh_db, "congress", "2025-03-01T06:20:00+00:00", "ok")
    _crawl_run(fresh_db, "congress", "2025-03-02T06:20:00+00:00", "failed", "could not reach api.congress.gov")
    _crawl_run(fresh_db, "openstates", "2025-03-02T07:00:00+00:00", "skipped", "OPENSTATES_API_KEY is not set")
    _crawl_run(fresh_db, "federal_register", "2025-03-01T12:15:00+00:00", "ok")
    _crawl_run(fresh_db, "federal_register", "2025-03-02T12:15:00+00:00", "partial", "quota spent")
    _crawl_run(fresh_db, "federal_register", "2025-03-03T12:15:00+00:00", "running")
    _crawl_run(fresh_db, "regulations_gov", "2025-03-01T08:00:00+00:00", "ok")  # ok, but long overdue
    _crawl_run(fresh_db, "openstates_events", "2025-03-01T08:00:00+00:00", "failed", "timed out")
    _crawl_run(fresh_db, "openstates_events", "2025-03-02T08:00:00+00:00", "ok")  # recovered
    _save(fresh_db, _replica_bill())

    _send(db_path, env)

    for part in _parts(smtp.messages[0][1]):
        assert "this digest may be incomplete" in part
        assert "every source ran normally" not in part
        assert ("congress failed on Sun 2 Mar 2025, 06:20 UTC (could not reach api.congress.gov); "
                "last ok run Sat 1 Mar 2025, 06:20 UTC") in part
        assert "openstates was skipped on Sun 2 Mar 2025, 07:00 UTC (OPENSTATES_API_KEY is not set); " \
               "no ok run yet" in part
        assert ("federal_register stopped early on Sun 2 Mar 2025, 12:15 UTC (quota spent); "
                "last ok run Sat 1 Mar 2025, 12:15 UTC") in part
        assert "regulations_gov: stale: no success since 2025-03-01 08:00 UTC" in part
        assert "congress: stale" not in part  # one line per source
        assert "openstates_events" not in part


@pytest.mark.review("source_health")
def test_footer_does_not_call_a_run_that_failed_an_hour_ago_normal(fresh_db, db_path, smtp, env):
    now = datetime.now(UTC)
    _crawl_run(fresh_db, "congress", (now - timedelta(hours=5)).isoformat(), "ok")
    _crawl_run(fresh_db, "congress", (now - timedelta(hours=1)).isoformat(), "failed", "HTTP 503 from upstream")
    _save(fresh_db, _replica_bill())

    _send(db_path, env)

    for part in _parts(smtp.messages[0][1]):
        assert "every source ran normally" not in part
        assert "this digest may be incomplete" in part and "congress failed on " in part
        assert "(HTTP 503 from upstream); last ok run " in part


@pytest.mark.review("source_health")
def test_footer_says_every_source_ran_normally_only_when_each_last_run_was_ok(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    _send(db_path, env)
    _crawl_run(fresh_db, "congress", datetime.now(UTC).isoformat(), "ok")
    _save(fresh_db, _replica_bill("ny", "S 8420"))
    _send(db_path, env)

    before_any_crawl, after_a_good_one = (_parts(message) for _, message in smtp.messages)
    for part in before_any_crawl:
        assert "no source has run yet" in part and "every source ran normally" not in part
    for part in after_a_good_one:
        assert "every source ran normally" in part and "may be incomplete" not in part


def test_sending_without_smtp_settings_is_refused_before_anything_happens(fresh_db, db_path, env):
    _save(fresh_db, _replica_bill())
    env = {k: v for k, v in env.items() if k != "SMTP_HOST"}

    result = CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path)], env={**env, "SMTP_HOST": ""})

    assert result.exit_code != 0
    assert result.output.startswith("ailabor: SMTP_HOST not set") and len(result.output.splitlines()) == 1
    assert _rows(fresh_db) == []


@pytest.mark.parametrize(("content", "says"), [
    ("daily: [unclosed", "YAML syntax error at line"),
    ("daily:\n  subject: Hi\n", "needs 'recipients'"),
    ("daily:\n  subject: Hi\n  recipients: [not-an-address]\n", "'not-an-address' is not an email address"),
    ("daily:\n  subject: Hi\n  recipients: [a@b.example]\n  topics: [replicas]\n", "'replicas' is not in topics.yml"),
    ("daily:\n  subject: Hi\n  recipients: [a@b.example]\n  look_ahead_days: soon\n", "whole number of days"),
    ("daily:\n  subject: Hi\n  recipients: [a@b.example]\n  watch_only: true\n", "unknown setting 'watch_only'"),
    ("daily:\n  subject: Hi\n  recipients: [a@b.example]\n  kinds: [bill_moved]\n", "'bill_moved' is not a kind"),
    # Both end up in headers: a line break in either would add one.
    ('daily:\n  subject: "Hi\\r\\nBcc: x@evil.example"\n  recipients: [a@b.example]\n', "one line of text"),
    ('daily:\n  subject: Hi\n  recipients: ["a@b.example\\r\\nBcc: x@evil.example"]\n', "is not an email address"),
])
def test_a_malformed_digests_file_is_one_line_saying_what_to_fix(tmp_path, db_path, content, says):
    bad = tmp_path / "digests.yml"
    bad.write_text(content)

    with pytest.raises(ConfigError, match=says):
        load_digests(bad)
    result = CliRunner().invoke(cli, ["digest", "daily", "--db", str(db_path), "--dry-run"],
                                env={"AILABOR_DIGESTS": str(bad)})
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1


def test_digest_topics_are_checked_against_the_taxonomy_in_force(tmp_path, monkeypatch):
    import yaml

    from ailabor.relevance import DEFAULT_PATH

    taxonomy = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    taxonomy["topics"].insert(0, {"slug": "ai-in-casting", "name": "AI in casting", "description": "Casting by AI.",
                                  "phrases": ["casting"]})
    (tmp_path / "topics.yml").write_text(yaml.safe_dump(taxonomy))
    digests = tmp_path / "digests.yml"
    digests.write_text("daily:\n  subject: Hi\n  recipients: [a@b.example]\n  topics: [ai-in-casting]\n")
    monkeypatch.setenv("AILABOR_TOPICS", str(tmp_path / "topics.yml"))

    assert [d.topics for d in load_digests(digests).values()] == [("ai-in-casting",)]


def test_unknown_digest_name_lists_the_digests(db_path, env):
    result = CliRunner().invoke(cli, ["digest", "weekly", "--db", str(db_path), "--dry-run"], env=env)

    assert result.exit_code != 0
    assert "no digest named 'weekly'" in result.output and "daily, replicas-ca-ny, short" in result.output


def test_the_shipped_digests_file_has_the_directors_daily_and_the_members_weekly():
    digests = load_digests()

    assert {"director", "members"} <= set(digests)
    assert not digests["director"].send_when_empty and digests["director"].show_notes
    assert not digests["members"].show_notes


def test_min_priority_keeps_only_bills_positioned_at_least_that_high(fresh_db):
    _save(fresh_db, _replica_bill("ca", "AB 1"), _replica_bill("ca", "AB 2"), _replica_bill("ca", "AB 3"))
    set_position(fresh_db, "ca-2025-ab1", "oppose", "high")
    set_position(fresh_db, "ca-2025-ab2", "support", "low")
    urgent = DigestDef(name="urgent", subject="Urgent", recipients=("d@union.example",), min_priority="medium")

    digest = select_digest(fresh_db, urgent, today=TODAY)

    assert [item.label for section in digest.sections for item in section.items] == ["CA AB 1"]



@pytest.mark.review("refused_recipient")
def test_a_refusal_that_echoes_the_password_is_stored_and_shown_without_it(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": f"550 5.7.1 relay denied for {PASSWORD}"}

    outcomes = [_send(db_path, {**env, "SMTP_PASSWORD": PASSWORD}) for _ in range(2)]

    shown = " ".join(line for o in outcomes for line in [o.line, *o.retries])
    stored = fresh_db.execute("SELECT group_concat(message) || group_concat(deliveries) FROM digests").fetchone()[0]
    assert "relay denied for [hidden]" in shown and "relay denied for [hidden]" in stored
    assert PASSWORD not in shown and PASSWORD not in stored


@pytest.mark.review("refused_recipient")
def test_a_refused_recipient_taken_off_the_list_is_not_sent_it_again(fresh_db, db_path, smtp, env, tmp_path):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": "452 4.2.2 mailbox full"}
    _send(db_path, env)
    smtp.refuse = {}
    (tmp_path / "digests.yml").write_text(DIGESTS.replace(", deputy@union.example", ""))

    outcome = _send(db_path, env)

    assert outcome.retries == ["daily: events 1–1 not sent again to deputy@union.example: no longer a recipient "
                               "of this digest"]
    assert [recipients for recipients, _ in smtp.messages] == [["director@union.example"]]
    assert _deliveries(fresh_db) == [{"director@union.example": ("accepted", 1),
                                      "deputy@union.example": ("removed", 1)}]


@pytest.mark.review("refused_recipient")
def test_a_retry_refused_at_data_counts_as_a_try(fresh_db, db_path, smtp, env):
    _save(fresh_db, _replica_bill())
    smtp.refuse = {"deputy@union.example": "550 5.1.1 mailbox disabled"}
    _send(db_path, env)
    smtp.refuse, smtp.reply = {}, "554 5.7.1 rejected as spam"

    assert _send(db_path, env).retries == [
        "daily: gave up on deputy@union.example after 2 tries (554 5.7.1 rejected as spam); events 1–1 not sent "
        "to them"]
    assert _deliveries(fresh_db) == [{"director@union.example": ("accepted", 1),
                                      "deputy@union.example": ("given up", 2)}]


def _ailabor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed command as cron runs it: what a person reads is all of stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "ailabor.cli", *args], env={**os.environ, **env},
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60,
                          check=False)


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ailabor: "), lines
    return lines[0]


@pytest.mark.review("operator_mistake")
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_digests_file_that_is_not_utf8_is_one_line(tmp_path, db_path, env, dry_run):
    latin1 = tmp_path / "digests.yml"
    latin1.write_bytes("daily:\n  subject: \"Café\"\n  recipients: [a@b.example]\n".encode("latin-1"))

    done = _ailabor("digest", "daily", "--db", str(db_path), *(["--dry-run"] if dry_run else []),
                    env={**env, "AILABOR_DIGESTS": str(latin1)})

    assert "digests.yml" in _one_line_error(done) and "UTF-8" in done.stderr


@pytest.mark.parametrize("sender", ["AI Labor Watch <alerts@union.example>\r\nBcc: everyone@evil.example",
                                    "alerts@union.example\nBcc: everyone@evil.example",
                                    "AI Labor Watch\r\n <alerts@union.example>"])
@pytest.mark.review("operator_mistake")
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_line_break_in_digest_from_is_refused_in_one_line(fresh_db, db_path, smtp, env, sender, dry_run):
    _save(fresh_db, _replica_bill())

    done = _ailabor("digest", "daily", "--db", str(db_path), *(["--dry-run"] if dry_run else []),
                    env={**env, "DIGEST_FROM": sender})

    assert "DIGEST_FROM" in _one_line_error(done)
    assert smtp.messages == [] and _rows(fresh_db) == []
