"""Request economy: what each API spider asks its upstream for, next to the least a client could ask for the same data.

Each spider runs as the scheduler runs it (``python -m scrapers.cli crawl
SOURCE`` in a child process) against a synthetic upstream on 127.0.0.1
(bench/upstreams.py: thousands of bills, a few percent about AI, in each
API's own format); requests are counted from the server's hits. Three runs
per source: a first backfill, a refresh with nothing changed upstream, and a
refresh after a day of upstream changes. "Needed" is the least a client could
make for the same data: pages of results that hold it (one listing across
Congresses and one across Regulations.gov terms, which the APIs allow or
nearly), plus, where the API has no other way, one detail request per
changed item and one per changed sub-resource.

Goals (issue 11): a refresh with nothing changed costs one request per
source; a daily refresh within 1.2x the pages needed; an Open States
backfill of the current sessions' AI bills inside one day's default quota
(250 requests; the synthetic upstream enforces it, so a bigger backfill
ends partial and resumes the next "day", as it would for real).
    python bench/request_economy.py [--sources openstates congress federal_register regulations_gov] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its site.py would shadow the standard library module

from bench.upstreams import UPSTREAMS, OpenStates, SyntheticServer, Upstream  # noqa: E402

BASE_URL_VARS = ("FEDERAL_REGISTER_API_URL", "CONGRESS_API_URL", "OPENSTATES_API_URL", "REGULATIONS_GOV_API_URL")
DAILY_QUOTA = 250
MAX_DAYS = 5


def crawl(source: str, server: SyntheticServer, db_file: Path) -> dict:
    """One ``ailabor crawl SOURCE`` in its own process; the requests are the server's hits during it."""
    env = dict(os.environ, AILABOR_DB=str(db_file), OPENSTATES_API_KEY="bench-key", CONGRESS_API_KEY="bench-key",
               DATA_GOV_API_KEY="bench-key", OPENSTATES_MINUTE_SECONDS="0.01", AILABOR_DOWNLOAD_DELAY="0",
               AILABOR_RETRY_BACKOFF="0.05", AILABOR_LOG_LEVEL="WARNING")
    env.update({var: server.url for var in BASE_URL_VARS})
    with server._lock:
        server.hits.clear()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scrapers.cli", "crawl", source, "--db", str(db_file)], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600)
    seconds = time.perf_counter() - start
    with sqlite3.connect(db_file) as conn:
        row = conn.execute("SELECT status, requests, items, new, updated, errors, message FROM crawl_runs"
                           " WHERE source = ? ORDER BY id DESC LIMIT 1", [source]).fetchone()
    if row is None:
        raise SystemExit(f"{source}: the crawl recorded no run:\n{done.stdout}\n{done.stderr[-3000:]}")
    status, logged, items, new, updated, errors, message = row
    with server._lock:
        hits = list(server.hits)
    return {"hits": len(hits), "kinds": Counter(endpoint(h.path) for h in hits), "status": status,
            "logged": logged, "items": items, "new": new, "updated": updated,
            "errors": errors, "message": message, "seconds": seconds,
            "refused": sum(1 for h in hits if h.status == 429)}


def endpoint(path: str) -> str:
    """A request's kind: its path with ids and bill types generalised (/bill/*/*/actions)."""
    parts = path.strip("/").split("/")
    out = [p if n == 0 or not (any(c.isdigit() for c in p) or (parts[0] == "bill" and n == 2)) else "*"
           for n, p in enumerate(parts)]
    return "/" + "/".join(out)


def describe(run: dict) -> str:
    kinds = ", ".join(f"{path} {count}" for path, count in sorted(run["kinds"].items(), key=lambda kv: -kv[1]))
    text = (f"{run['hits']} requests ({kinds}), {run['status']}, {run['items']} items ({run['new']} new, "
            f"{run['updated']} updated), {run['errors']} errors, {run['seconds']:.1f}s")
    return text + (f" [{run['message']}]" if run["message"] and run["status"] != "ok" else "")


def bench_source(source: str, scale: float, seed: int) -> dict:
    upstream: Upstream = UPSTREAMS[source](scale=scale)
    rng = random.Random(seed)
    server = SyntheticServer(upstream).start()
    result: dict = {"source": source}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_file = Path(tmp) / "tracker.db"
            result["needed_backfill"] = upstream.needed_backfill()
            if isinstance(upstream, OpenStates):
                result["needed_backfill_current"] = upstream.needed_backfill(current_only=True)
            # A backfill that meets the day's quota ends partial and resumes the next day.
            days = []
            for _ in range(MAX_DAYS):
                if isinstance(upstream, OpenStates):
                    upstream.new_day()
                days.append(crawl(source, server, db_file))
                if days[-1]["status"] != "partial" or not days[-1]["refused"]:
                    break
            result["backfill_days"] = days
            result["backfill"] = sum(d["hits"] for d in days)
            upstream.mark()

            if isinstance(upstream, OpenStates):
                upstream.new_day()
            result["idle"] = crawl(source, server, db_file)
            upstream.mark()

            result["day"] = upstream.advance_day(rng)
            result["needed_refresh"] = upstream.needed_refresh()
            if isinstance(upstream, OpenStates):
                upstream.new_day()
            result["refresh"] = crawl(source, server, db_file)
    finally:
        server.stop()
    return result


def report(results: list[dict]) -> None:
    print("| source | backfill: requests / needed | refresh, nothing changed: requests (goal 1) "
          "| daily refresh: requests / needed (goal <= 1.2x) |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['source']} | {r['backfill']} / {r['needed_backfill']} = "
              f"{r['backfill'] / r['needed_backfill']:.2f}x "
              f"| {r['idle']['hits']} | {r['refresh']['hits']} / {r['needed_refresh']} = "
              f"{r['refresh']['hits'] / r['needed_refresh']:.2f}x |")
    print()
    for r in results:
        print(f"{r['source']}:")
        for n, day in enumerate(r["backfill_days"], 1):
            print(f"  backfill day {n}: {describe(day)}")
        print(f"  refresh, nothing changed: {describe(r['idle'])}")
        print(f"  a day of changes: {', '.join(f'{v} {k}' for k, v in r['day'].items())}")
        print(f"  refresh after it: {describe(r['refresh'])}")
    print()
    for r in results:
        idle = r["idle"]["hits"]
        print(f"goal refresh with nothing changed costs 1 request: {r['source']} {idle}: "
              f"{'met' if idle <= 1 else f'NOT met ({idle}x)'}")
    for r in results:
        ratio = r["refresh"]["hits"] / r["needed_refresh"]
        print(f"goal daily refresh within 1.2x the pages needed: {r['source']} {ratio:.2f}x: "
              f"{'met' if ratio <= 1.2 else 'NOT met'}")
    for r in results:
        if r["source"] != "openstates":
            continue
        first = r["backfill_days"][0]
        inside = len(r["backfill_days"]) == 1 and first["status"] == "ok" and r["backfill"] <= DAILY_QUOTA
        print(f"goal Open States backfill inside one day's quota ({DAILY_QUOTA}): {r['backfill']} requests over "
              f"{len(r['backfill_days'])} day(s); needed {r['needed_backfill']} pages for every session's AI bills "
              f"since the backfill start, {r['needed_backfill_current']} for the current sessions' only: "
              f"{'met' if inside else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", nargs="+", default=list(UPSTREAMS), choices=list(UPSTREAMS))
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of the synthetic upstreams (1.0: 34,000 federal bills, 85,000 state bills)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"scale {args.scale}; synthetic upstreams on 127.0.0.1; spiders in child processes\n")
    report([bench_source(source, args.scale, args.seed) for source in args.sources])


if __name__ == "__main__":
    main()
