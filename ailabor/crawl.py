"""Running spiders: which exist, which can run now, and a one-line summary of each run.

All spiders asked for run in this one process (a Twisted reactor cannot be
restarted, so one call per process); the scheduler gives each crawl a
process of its own.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

import db
from ailabor.config import source_config
from ailabor.relevance import load_taxonomy
from ailabor.runs import record_skipped, source_lock


class UnknownSource(ValueError):
    """A source name that no spider answers to."""


@dataclass
class RunSummary:
    source: str
    status: str
    requests: int = 0
    items: int = 0
    new: int = 0
    updated: int = 0
    errors: int = 0
    message: str | None = None
    details: dict[str, Any] | None = None

    def line(self) -> str:
        if self.status == "skipped":
            return self.message or f"{self.source}: skipped"
        # Keys starting with "_" are a spider's notes to its next run (crawl_runs.details), not news.
        extras = "".join(f", {k.replace('_', ' ')} {v}" for k, v in (self.details or {}).items()
                         if not k.startswith("_"))
        text = (f"{self.source}: {self.status}: {self.requests} requests, {self.items} items, {self.new} new, "
                f"{self.updated} updated, {self.errors} errors{extras}")
        return f"{text} ({self.message})" if self.message else text


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def spider_classes() -> dict[str, Any]:
    loader = SpiderLoader.from_settings(project_settings())
    return {name: loader.load(name) for name in sorted(loader.list())}


def check_sources(names: list[str]) -> list[str]:
    """The names asked for, or all sources when none are; an unknown name is an error."""
    known = spider_classes()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownSource(f"unknown source {', '.join(unknown)}; the sources are: {', '.join(known)}")
    return names or list(known)


def run_crawls(
    names: list[str], db_path: str | None = None, overrides: dict[str, Any] | None = None,
    spider_args: dict[str, str] | None = None,
) -> list[RunSummary]:
    """Crawl each named source once, in this process; a source without its key is recorded as skipped.

    ``spider_args`` go to every spider (``watch=1``: only the bills on the watchlist).
    """
    names = check_sources(names)
    # A broken topics.yml or sources.yml is the operator's to fix: say so once, before any spider starts.
    load_taxonomy()
    for name in names:
        source_config(name)
    settings = project_settings(dict(overrides or {}, AILABOR_DB=db_path or str(db.db_path())))
    database = db.connect(settings.get("AILABOR_DB"))
    classes = spider_classes()
    summaries: dict[str, RunSummary] = {}
    process = CrawlerProcess(settings)
    crawlers = {}
    # Held until the crawls end: a scheduler or a person crawling the same source meanwhile is turned away.
    locks = ExitStack()
    for name in names:
        missing = classes[name].missing_key()
        if missing:
            record_skipped(database, name, missing)
            summaries[name] = RunSummary(name, "skipped", message=missing)
            continue
        if not locks.enter_context(source_lock(settings.get("AILABOR_DB"), name)):
            summaries[name] = RunSummary(
                name, "skipped", message=f"{name}: not started: another process is crawling it right now")
            continue
        crawler = process.create_crawler(classes[name])
        crawlers[name] = crawler
        process.crawl(crawler, **(spider_args or {}))
    if crawlers:
        process.start()
    locks.close()
    for name, crawler in crawlers.items():
        run = getattr(crawler.spider, "run", None)
        row = database["crawl_runs"].get(run.id) if run else None
        if row is None:
            summaries[name] = RunSummary(name, "failed", message="the spider did not start")
            continue
        summaries[name] = RunSummary(
            name, row["status"], row["requests"] or 0, row["items"] or 0, row["new"] or 0, row["updated"] or 0,
            row["errors"] or 0, row["message"], json.loads(row["details"]) if row["details"] else None)
    database.close()
    return [summaries[n] for n in names]
