"""Digest rendering: the time to select and render one email over 10,000 change events, next to two baselines.

The events are made the way crawls make them: bills and meetings (text from
bench/corpus.py, classified by the real taxonomy) stored through
ailabor.store.writer.Store, a first version and then a later one with new actions,
so the events table holds bill_new, bill_action, bill_status, bill_version
and meeting_new rows; the union takes positions on a few bills. Ours is
ailabor.digest.select.select_digest + render.build_message (the plain-text and HTML
bodies, CSS inlined) for the digests of digests.yml. Baselines: the SELECT
of the same events with their bills and meetings, and that SELECT plus a
plain f-string line per event.

Goal (issue 11): under 1 s for 10,000 events.
    python bench/digest.py [--events 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: keep this folder's file names from shadowing modules

import db  # noqa: E402
from ailabor.digest.config import load_digests  # noqa: E402
from ailabor.digest.render import build_message  # noqa: E402
from ailabor.digest.select import select_digest  # noqa: E402
from ailabor.records import Action, BillItem, MeetingItem, Sponsor, Version  # noqa: E402
from ailabor.relevance import load_taxonomy  # noqa: E402
from ailabor.store.writer import Store, save_topics  # noqa: E402
from bench.corpus import COMMITTEES, JURISDICTIONS, person, story_text  # noqa: E402

BASELINE_SQL = """
SELECT e.id, e.kind, e.summary, e.bill_id, e.meeting_id, b.jurisdiction, b.identifier, b.title, b.status, b.url,
       m.title AS meeting_title, m.agency, m.start, m.document_url
  FROM events e LEFT JOIN bills b ON b.id = e.bill_id LEFT JOIN meetings m ON m.id = e.meeting_id
 WHERE e.id > ? ORDER BY e.id
"""


def bill_item(rng: random.Random, n: int, taxonomy, actions: int) -> BillItem:  # noqa: ANN001
    code = JURISDICTIONS[n % len(JURISDICTIONS)]
    # The tracker stores what the AI searches find: about a third of it concerns work too.
    title, summary = story_text(rng, rng.choices(["work", "ai", "plain"], [0.35, 0.55, 0.10])[0])
    chamber = rng.choice(["lower", "upper"])
    start = datetime(2026, 1, 12) + timedelta(days=rng.randint(0, 200))
    steps = [("Introduced and read first time", ["introduction"]),
             (f"Referred to Committee on {rng.choice(COMMITTEES)}", ["referral-committee"]),
             ("Reported favorably by committee", ["committee-passage"]),
             (f"Passed; ayes {rng.randint(40, 90)}, noes {rng.randint(0, 30)}", ["passage"])]
    item = BillItem(
        jurisdiction=code, session="2026", identifier=f"{'HB' if chamber == 'lower' else 'SB'} {n + 1}", title=title,
        summary=summary, source="openstates", subjects=["Labor"], url=f"https://legislature.example/{code}/{n}",
        actions=[Action((start + timedelta(days=9 * i)).date().isoformat(), text, chamber, classes)
                 for i, (text, classes) in enumerate(steps[:actions])],
        sponsors=[Sponsor(person(rng), "primary", rng.choice(["D", "R"]))],
        versions=[Version(f"https://legislature.example/{code}/{n}/v{v}.pdf", f"Version {v}",
                          start.date().isoformat(), "application/pdf") for v in range(1 + (actions > 2))],
    )
    item.relevance = taxonomy.classify(item.title, item.summary, item.subjects)
    return item


def meeting_item(rng: random.Random, n: int, taxonomy, today: datetime) -> MeetingItem:  # noqa: ANN001
    title, abstract = story_text(rng, rng.choice(["work", "ai"]))
    kind = rng.choice(["meeting", "hearing", "request_for_comment", "notice"])
    day = (today + timedelta(days=rng.randint(-5, 30))).date().isoformat()
    item = MeetingItem(id=f"fr-2026-{n:05d}", jurisdiction="us", kind=kind, title=title, source="federal_register",
                       agency="Labor Department", abstract=abstract,
                       start=day if kind in ("meeting", "hearing") else None,
                       comments_close_on=day if kind == "request_for_comment" else None, published_date=day,
                       document_url=f"https://www.federalregister.gov/d/2026-{n:05d}")
    item.relevance = taxonomy.classify(item.title, item.abstract, [item.agency or ""])
    return item


def build(path: Path, events: int, seed: int = 23) -> int:
    """Store bills and meetings until the events table holds ``events`` rows; returns how many it holds."""
    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    database = db.connect(path, create=True)
    save_topics(database, taxonomy)
    store = Store(database)
    today = datetime.now(UTC).replace(tzinfo=None)
    n = 0
    count = lambda: database.execute("SELECT count(*) FROM events").fetchone()[0]  # noqa: E731
    while count() < events:
        # A first sighting, then a later crawl that finds the bills further along.
        batch = [(n + i, rng.randint(1, 2)) for i in range(200)]
        store.save([bill_item(random.Random(k), k, taxonomy, a) for k, a in batch])
        store.save([bill_item(random.Random(k), k, taxonomy, a + 2) for k, a in batch])
        store.save([meeting_item(rng, n + i, taxonomy, today) for i in range(40)])
        n += 200
    # Trim the surplus, newest first, so the digest covers exactly ``events`` events.
    database.execute("DELETE FROM events WHERE id > (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?)",
                     [events - 1])
    relevant = [r[0] for r in database.execute("SELECT id FROM bills WHERE relevant = 1 LIMIT 40")]
    with database.atomic():
        database["positions"].insert_all([{"bill_id": b, "stance": rng.choice(["support", "oppose", "watch"]),
                                           "priority": rng.choice(["high", "medium", "low"]), "note": "Bench.",
                                           "updated_at": today.isoformat()} for b in relevant])
    total = count()
    database.close()
    return total


def timed(repeat: int, work) -> float:  # noqa: ANN001
    """The median wall time of ``repeat`` runs, after one warm-up (templates compiled, pages cached)."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracker.db"
        start = time.perf_counter()
        total = build(path, args.events)
        print(f"{total:,} events stored through Store.save in {time.perf_counter() - start:.1f}s")
        database = db.connect(path)
        kinds = dict(database.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
        print("events by kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items())))

        def select_only() -> None:
            database.execute(BASELINE_SQL, [0]).fetchall()

        def fstring_loop() -> None:
            lines = []
            for (_, kind, summary, bill_id, _, jurisdiction, identifier, title, status, url, meeting_title,
                 agency, start_at, document_url) in database.execute(BASELINE_SQL, [0]):
                if bill_id:
                    lines.append(f"- {jurisdiction.upper()} {identifier}: {title} ({status}) {kind}: {summary} {url}")
                else:
                    lines.append(f"- {agency}: {meeting_title} {start_at or ''} {kind}: {summary} {document_url}")
            "\n".join(lines)

        base_select = timed(args.repeat, select_only)
        base_loop = timed(args.repeat, fstring_loop)
        print(f"baseline SELECT of the events with their bills and meetings: {base_select * 1000:.0f} ms")
        print(f"baseline SELECT + f-string line per event: {base_loop * 1000:.0f} ms")
        results = {}
        for name, definition in load_digests().items():
            def render(definition=definition) -> None:  # noqa: ANN001
                digest = select_digest(database, definition)
                build_message(digest, "AI Labor Watch <ailabor@example.org>").as_bytes()

            digest = select_digest(database, definition)
            results[name] = timed(args.repeat, render)
            message = build_message(digest, "AI Labor Watch <ailabor@example.org>")
            print(f"digest {name!r}: {results[name] * 1000:.0f} ms for {digest.events_checked:,} events "
                  f"({digest.news:,} in sections; {digest.subject}; {len(message.as_bytes()) / 1024:.0f} KB email); "
                  f"{results[name] / base_select:.1f}x the SELECT, {results[name] / base_loop:.1f}x the f-string loop")
        database.close()
    worst = max(results, key=results.get)
    print(f"goal digest of {args.events:,} events under 1 s: {'met' if results[worst] < 1 else 'NOT met'} "
          f"(slowest: {worst!r}, {results[worst] * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
