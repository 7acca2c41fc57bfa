"""Publishing to a running public face: readers switch to the new snapshot at once, and never see two at a time."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import db
from scrapers.items import Action, BillItem
from scrapers.publish import publish
from scrapers.store import Store
from tests.test_site import _classified, ago, build_site_db, served

# Three queries answer this one request (the rows, their count, the facet), so a reader that switched
# snapshots in the middle of it would show numbers that disagree.
BILLS = "/tracker/bills.json?_size=max&_facet=jurisdiction&_shape=objects"


def add_bills(working: Path, prefix: str, count: int) -> None:
    database = db.connect(working)
    Store(database).save([_classified(BillItem(
        jurisdiction="wa", session="2025", identifier=f"{prefix} {n}", source="test", chamber="lower",
        title="Automated decision tools in employment", summary="Artificial intelligence used to fire workers.",
        actions=[Action(ago(1), "Introduced", "lower", ["introduction"])])) for n in range(count)])
    database.close()


def bill_count(url: str) -> int:
    """The number of bills one response shows; it fails the test when the response disagrees with itself."""
    with urllib.request.urlopen(url + BILLS, timeout=30) as response:
        data = json.load(response)
    count = data["filtered_table_rows_count"]
    assert len(data["rows"]) == count
    assert sum(facet["count"] for facet in data["facet_results"]["jurisdiction"]["results"]) == count
    return count


def test_a_running_public_face_serves_each_publish_at_once_and_never_a_mix(tmp_path):
    working = build_site_db(tmp_path / "tracker.db")
    snapshot = publish(working)
    with served(snapshot, public=True) as url:
        # Enough requests that every SQL thread of the server holds the first snapshot open.
        assert {bill_count(url) for _ in range(12)} == {7}
        add_bills(working, "HB", 2)
        publish(working)
        assert [bill_count(url) for _ in range(12)] == [9] * 12

        seen: list[int] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    seen.append(bill_count(url))
                except BaseException as exc:  # the test reports it
                    failures.append(exc)
                    return

        readers = [threading.Thread(target=read) for _ in range(4)]
        for reader in readers:
            reader.start()
        add_bills(working, "SB", 3)
        publish(working)
        after = [bill_count(url) for _ in range(12)]
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert failures == []
    assert after == [12] * 12
    assert set(seen) <= {9, 12}
