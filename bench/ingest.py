"""Ingest throughput and memory: items through the real Scrapy pipeline into SQLite, next to a bulk insert.

Each measurement runs in its own process so that peak memory is its own.
Goals (issue 11): at least half the bulk rate; peak memory flat as items grow.
    python bench/ingest.py [--sizes 10000 50000 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_pipeline(count: int, path: Path) -> dict:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from ailabor.crawl import project_settings
    from bench.corpus import bills
    from scrapers.spiders.base import TrackerSpider

    class BenchSpider(TrackerSpider):
        name = "bench"

        async def start(self):  # type: ignore[override]
            # Items come out of a response callback, as they do from every real spider.
            yield scrapy.Request("data:,", callback=self.parse_items)

        def parse_items(self, response):  # type: ignore[no-untyped-def]
            self.outcome.good_responses += 1
            yield from bills(count)

    settings = project_settings({"AILABOR_DB": str(path), "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False})
    process = CrawlerProcess(settings, install_root_handler=False)
    start = time.perf_counter()
    process.crawl(BenchSpider)
    process.start()
    return {"seconds": time.perf_counter() - start}


def run_bulk(count: int, path: Path) -> dict:
    import db
    from bench.corpus import bills

    database = db.connect(path, create=True)
    start = time.perf_counter()
    rows, actions, sponsors, versions = [], [], [], []
    for item in bills(count):
        rows.append({"id": item.id, "jurisdiction": item.jurisdiction, "session": item.session,
                     "identifier": item.identifier, "title": item.title, "summary": item.summary,
                     "subjects": json.dumps(item.subjects), "source": item.source, "url": item.url})
        actions += [dict(asdict(a), bill_id=item.id, seq=n, classification=json.dumps(a.classification))
                    for n, a in enumerate(item.actions or [])]
        sponsors += [dict(asdict(s), bill_id=item.id) for s in item.sponsors or []]
        versions += [dict(asdict(v), bill_id=item.id) for v in item.versions or []]
    with database.atomic():
        database["bills"].insert_all(rows, batch_size=500)
        database["actions"].insert_all(actions, batch_size=500)
        database["sponsors"].insert_all(sponsors, batch_size=500, ignore=True)
        database["versions"].insert_all(versions, batch_size=500, ignore=True)
    return {"seconds": time.perf_counter() - start}


def child(kind: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracker.db"
        result = (run_pipeline if kind == "pipeline" else run_bulk)(count, path)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(count)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    peaks = []
    for count in args.sizes:
        ours, bulk = measure("pipeline", count), measure("bulk", count)
        rate, bulk_rate = count / ours["seconds"], count / bulk["seconds"]
        peaks.append(ours["peak_mb"])
        print(f"{count:>7} bills: pipeline {rate:,.0f} items/s, peak {ours['peak_mb']:.0f} MB; "
              f"bulk insert_all {bulk_rate:,.0f} items/s, peak {bulk['peak_mb']:.0f} MB; "
              f"ratio {rate / bulk_rate:.2f} of the bulk rate (goal >= 0.5)")
    print(f"peak memory from {args.sizes[0]} to {args.sizes[-1]} items: {peaks[0]:.0f} MB -> {peaks[-1]:.0f} MB "
          f"({peaks[-1] / peaks[0]:.2f}x; flat means close to 1)")


if __name__ == "__main__":
    main()
