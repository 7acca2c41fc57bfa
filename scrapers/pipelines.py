"""The item pipeline: validate → classify → store, in batches, with the run's bookkeeping.

A bad item never stops the crawl: it is written to ``crawl_errors`` with its
URL and the reason, and the rest go on.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

import db
from ailabor.records import BillItem, InvalidItem, MeetingItem, ScreeningItem, TextItem, WatchOutcome, cap_texts
from ailabor.store.texts import bill_fields, stored_text
from ailabor.store.writer import Counts, Store, record_comment_deadlines, save_topics

ITEM_TYPES = (BillItem, MeetingItem, TextItem, ScreeningItem, WatchOutcome)

logger = logging.getLogger(__name__)


class _Stage:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider


class ValidatePipeline(_Stage):
    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ITEM_TYPES):
            self.spider.reject(None, "invalid_item", f"not a bill or meeting: {type(item).__name__}")
            raise DropItem("not a bill or meeting")
        if isinstance(item, BillItem):
            for version in item.drop_odd_versions():
                self.spider.reject(item.source_url, "bad_version",
                                   f"{item.id}: version link dropped, not a web address: {version.url!r}", lost=False)
        try:
            item.validate()
        except InvalidItem as exc:
            self.spider.reject(item.source_url, "invalid_item", f"{_name(item)}: {exc}")
            raise DropItem(str(exc)) from exc
        if cut := cap_texts(item):
            logger.warning("%s: texts cut to their stored length (whole lengths: %s)", _name(item), cut)
        return item


class ClassifyPipeline(_Stage):
    """Classifies every item as it is stored, with the taxonomy loaded once per crawl.

    A bill is judged on its text too: the text stored for it (a refresh
    brings titles and actions, not the text again), or the text that just
    arrived for it.
    """

    def open_spider(self) -> None:
        self.db = db.connect(self.crawler.settings.get("AILABOR_DB"))

    def close_spider(self) -> None:
        self.db.close()

    def process_item(self, item: Any) -> Any:
        taxonomy = self.spider.taxonomy
        if isinstance(item, BillItem):
            item.relevance = taxonomy.classify_bill(item.title, item.other_titles, item.summary, item.subjects,
                                                    stored_text(self.db, item.id))
        elif isinstance(item, MeetingItem):
            item.relevance = taxonomy.classify(item.title, item.abstract, [item.agency or ""])
        elif isinstance(item, TextItem):
            bill = bill_fields(self.db, item.bill_id)
            if bill is not None:
                item.relevance = taxonomy.classify_bill(*bill, text=item.text)
        return item


class StorePipeline(_Stage):
    """Upserts items in batched transactions; events go in with the changes they describe."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.batch_size = crawler.settings.getint("STORE_BATCH_SIZE", 200)
        self.buffer: list[BillItem | MeetingItem] = []
        self.counts = Counts()
        self.items = 0
        self.db: Any = None
        self.store: Store | None = None

    def open_spider(self) -> None:
        self.db = db.connect(self.crawler.settings.get("AILABOR_DB"))
        self.store = Store(self.db, run_id=self.spider.run.id)
        save_topics(self.db, self.spider.taxonomy)

    def process_item(self, item: Any) -> Any:
        self.buffer.append(item)
        if isinstance(item, BillItem | MeetingItem):  # texts, screenings and watch outcomes are not news items
            self.items += 1
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        assert self.store is not None
        try:
            self.counts += self.store.save(batch)
        except Exception:
            logger.exception("batch write failed; storing its %d items one by one", len(batch))
            for item in list(batch):
                try:
                    self.counts += self.store.save([item])
                except Exception as exc:  # one bad row must not cost the others
                    self.spider.reject(item.source_url, "store_failed", f"{_name(item)}: {exc}")
                    batch.remove(item)
        self.spider.stored(batch)

    def close_spider(self) -> None:
        self.flush()
        try:
            record_comment_deadlines(self.db, run_id=self.spider.run.id)
        finally:
            self.spider.pipeline_counts = {"items": self.items, "new": self.counts.new, "updated": self.counts.updated}
            self.db.close()


def flush_stores(crawler: Crawler) -> None:
    """Write what the store pipelines hold, so that what the spider reads next includes it."""
    manager = getattr(getattr(crawler.engine, "scraper", None), "itemproc", None)
    for stage in getattr(manager, "middlewares", ()):
        if isinstance(stage, StorePipeline):
            stage.flush()


def _name(item: Any) -> str:
    return getattr(item, "id", None) or type(item).__name__
