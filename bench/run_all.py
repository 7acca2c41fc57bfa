"""The one command that regenerates bench/RESULTS.md: every benchmark, one after another, with the machine it ran on.

Benchmarks run one at a time (each in its own process), since they compare
against baselines measured in the same run and a neighbour would skew both.
The default sizes are the issue's: about 15 minutes on 2 busy cores, most of
it the Congress backfill and the 250,000-bill site database (built once,
then cached under /tmp). ``--quick`` runs small sizes to check the scripts.
    python bench/run_all.py [--quick] [--only requests site digest classify ingest]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

FULL = {
    "requests": ["bench/request_economy.py", "--scale", "1.0"],
    "site": ["bench/site.py", "--bills", "250000", "--requests", "100", "--baseline-requests", "40",
             "--concurrency", "20"],
    "digest": ["bench/digest.py", "--events", "10000", "--repeat", "5"],
    "classify": ["bench/classify.py", "--bills", "50000"],
    "ingest": ["bench/ingest.py", "--sizes", "10000", "50000", "100000"],
}
QUICK = {
    "requests": ["bench/request_economy.py", "--scale", "0.1"],
    "site": ["bench/site.py", "--bills", "5000", "--requests", "40", "--baseline-requests", "20",
             "--concurrency", "20"],
    "digest": ["bench/digest.py", "--events", "2000", "--repeat", "2"],
    "classify": ["bench/classify.py", "--bills", "5000"],
    "ingest": ["bench/ingest.py", "--sizes", "1000", "5000"],
}
TITLES = {
    "requests": "Request economy (bench/request_economy.py)",
    "site": "Site latency (bench/site.py)",
    "digest": "Digest rendering (bench/digest.py)",
    "classify": "Classifier throughput (bench/classify.py)",
    "ingest": "Ingest throughput and memory (bench/ingest.py)",
}


def machine() -> list[tuple[str, str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return [
        ("date (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M")),
        ("cores (nproc)", str(os.cpu_count())),
        ("CPU", cpu),
        ("memory", f"{memory / 1024 / 1024:.1f} GiB"),
        ("load average at start (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("Datasette / Scrapy / sqlite-utils", " / ".join(version(p) for p in ("datasette", "scrapy", "sqlite-utils"))),
    ]


def as_markdown(output: str) -> str:
    """Tables the scripts print stay tables; every other run of lines goes in a code block."""
    blocks, plain = [], []
    lines = output.rstrip().splitlines()
    for n, line in enumerate(lines):
        if line.startswith("|"):
            if plain:
                blocks.append("```\n" + "\n".join(plain).strip("\n") + "\n```")
                plain = []
            blocks.append(line if n + 1 < len(lines) and lines[n + 1].startswith("|") else line + "\n")
        else:
            plain.append(line)
    if plain and "\n".join(plain).strip():
        blocks.append("```\n" + "\n".join(plain).strip("\n") + "\n```")
    return "\n".join(blocks)


def goals(name: str, output: str) -> list[tuple[str, str, str]]:
    """(benchmark, goal, result) from the lines where a script states a goal."""
    rows = []
    for line in output.splitlines():
        text = line.strip()
        stated = re.match(r"^goal (.*?): ((?:NOT )?met\b.*)$", text)
        if stated:
            rows.append((name, stated.group(1), stated.group(2)))
            continue
        # bench/ingest.py states its goals inside its figures' lines.
        ratio = re.search(r"^(\d+) bills: .* ratio ([\d.]+) of the bulk rate \(goal >= ([\d.]+)\)", text)
        if ratio:
            count, got, wanted = ratio.groups()
            rows.append((name, f"pipeline at least {wanted} of the bulk insert rate ({int(count):,} bills)",
                         f"{got}: {'met' if float(got) >= float(wanted) else 'NOT met'}"))
        memory = re.search(r"^peak memory from .*\(([\d.]+)x; flat means close to 1\)", text)
        if memory:
            rows.append((name, "peak memory flat as items grow", f"{text.split(': ', 1)[1]}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the scripts (not for RESULTS)")
    parser.add_argument("--only", nargs="+", choices=list(FULL), default=list(FULL))
    args = parser.parse_args()
    plan = {name: (QUICK if args.quick else FULL)[name] for name in args.only}
    header = machine()
    sections, summary, commands = [], [], []
    for name, argv in plan.items():
        command = [sys.executable, *argv]
        shown = "python " + " ".join(shlex.quote(a) for a in argv)
        print(f"running {shown}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        commands.append(f"{shown}   # {seconds:.0f}s" + ("" if done.returncode == 0 else f", exit {done.returncode}"))
        output = done.stdout if done.returncode == 0 else done.stdout + "\n" + done.stderr[-3000:]
        if done.returncode == 0 and "Traceback" in done.stderr:
            # A child process can fail inside a script that still exits 0: its figures would mean nothing.
            tail = done.stderr[done.stderr.rindex("Traceback"):][-1500:]
            output += f"\nWARNING: a traceback on stderr; these figures may not be what they claim:\n{tail}"
        print(output, flush=True)
        summary += goals(name, output)
        sections.append(f"## {TITLES[name]}\n\n`{shown}` ({seconds:.0f} s)\n\n{as_markdown(output)}\n")
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = [
        "# Benchmark results",
        "",
        "Regenerated by `python bench/run_all.py` (it overwrites this file). Ratios compare each figure with a",
        "baseline measured in the same run on the same machine; absolute times depend on the machine and on",
        "what else it was doing (the load averages below). Benchmarks, not tests: nothing here asserts a time.",
        "" if not args.quick else "\n**Quick sizes (`--quick`): these figures check the scripts, they are not the "
                                  "issue's measurements.**\n",
        "Notes on what was run:",
        "",
        "- Request economy: synthetic upstreams (bench/upstreams.py) at scale 1.0: Congress 34,300 bills (119th",
        "  15,000, 118th 19,300; about 1.2% titled on AI, 0.5% more with AI only in the CRS summary), Open States",
        "  85,000 state bills of 2023-2026 of which 3,400 (4%) match the AI search, Federal Register 4,000 documents",
        "  of the followed agencies, Regulations.gov 63 dockets. The day of changes is printed with each source.",
        "  The openstates_events and congress_hearings spiders are not covered yet.",
        "- Site: the 250,000-bill database is built once (about 6 minutes here) and cached under /tmp/ailabor-bench;",
        "  pages, canned queries and templates are the ones in metadata.yml and templates/ at the time of the run.",
        "- The machine is shared with other work (load averages below): absolute times move between runs, the",
        "  ratios against a baseline measured in the same run much less; request counts do not move at all.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in header],
        f"| load average at the end | {load_after} |",
        "",
        "## Commands run",
        "",
        "```",
        *commands,
        "```",
        "",
        "## Goals",
        "",
        "| benchmark | goal | result |",
        "|---|---|---|",
        *[f"| {b} | {g} | {r} |" for b, g, r in summary],
        "",
        *sections,
    ]
    RESULTS.write_text("\n".join(text).rstrip() + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
