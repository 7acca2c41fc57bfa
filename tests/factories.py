"""What the fast tests build their cases from: a saved upstream answer as a Scrapy response, a spider in this process.

A spider made here is the one ``ailabor crawl`` starts (project settings, its run row in
the test database), but no reactor runs: a test calls its callbacks on saved responses
and reads what they yield, as city-scrapers' tests do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import db
from tests.conftest import FIXTURES


def file_response(path: Path | str, url: str, *, request: Request | None = None, status: int = 200,
                  headers: dict[str, str] | None = None) -> TextResponse:
    """The saved answer at ``path`` (under tests/fixtures unless absolute) as the response to ``url``.

    HTML files become an ``HtmlResponse`` (selectors), anything else a ``TextResponse`` (``.text``, JSON).
    """
    path = Path(path)
    if not path.is_absolute():
        path = FIXTURES / path
    cls = HtmlResponse if path.suffix in (".html", ".htm") else TextResponse
    return cls(url=url, body=path.read_bytes(), encoding="utf-8", status=status, headers=headers or {},
               request=request or Request(url))


def in_process_spider(spider_cls: type[scrapy.Spider], db_path: Path, **settings: Any) -> Any:
    """``spider_cls`` made as a crawl makes it, on the project's settings and a database `init` made."""
    db.connect(db_path, create=True).close()
    project = Settings()
    project.setmodule("scrapers.settings", priority="project")
    crawler = get_crawler(spider_cls, {**{key: project[key] for key in project}, "AILABOR_DB": str(db_path),
                                       # No reactor runs: callbacks are called, not scheduled.
                                       "TWISTED_REACTOR_ENABLED": False,
                                       **settings})
    return crawler._create_spider()


def items(results: Any, kind: type) -> list:
    """The items of type ``kind`` among what a callback yielded (requests and other items left out)."""
    return [result for result in results if isinstance(result, kind)]


def requests(results: Any) -> list[Request]:
    return [result for result in results if isinstance(result, Request)]
