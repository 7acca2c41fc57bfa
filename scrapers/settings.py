"""Scrapy settings: politeness, retries, pipelines; upstream base URLs and the database from the environment.

Keys are read by the spiders from the environment at run time and sent as
headers; they never enter settings, so they cannot leak into logged settings.
"""

import os

from ailabor import __version__

BOT_NAME = "ailabor"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Who we are, so that an upstream operator can reach us instead of blocking us.
CONTACT_URL = os.environ.get("AILABOR_CONTACT_URL", "https://github.com/ai-labor-watch/ai-labor-watch")
USER_AGENT = f"AILaborWatch/{__version__} (+{CONTACT_URL})"

# The APIs are made for programs; their robots.txt is written for the HTML sites
# (SOURCES.md §5) and would block API paths. Spiders that read HTML pages turn this on.
ROBOTSTXT_OBEY = False

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = float(os.environ.get("AILABOR_DOWNLOAD_TIMEOUT", "60"))
COOKIES_ENABLED = False
# Federal Register queries repeat fields[] and agencies[]: well past Scrapy's 2,083-character default.
URLLENGTH_LIMIT = 16_000
TELNETCONSOLE_ENABLED = False

# Scrapy's default limit is 1 GB: a gzip bomb grew a crawl past 1.1 GB of memory, and a 300 MB answer was stored
# whole. A response past DOWNLOAD_MAXSIZE is refused (while it is inflated, too) and recorded; each source sets
# its own in sources.yml (download_maxsize_mb, download_warnsize_mb), this is the rest's.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024

# Scrapy accepts any certificate unless told otherwise.
DOWNLOAD_VERIFY_CERTIFICATES = True

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = float(os.environ.get("AILABOR_RETRY_BACKOFF", "2"))
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.PoliteRetryMiddleware": 550,
    # Where Scrapy's own redirect middlewares sit, so that they run in the same order.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapers.middlewares.KeyKeepingMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "scrapers.middlewares.KeyKeepingRedirectMiddleware": 600,
}
ITEM_PIPELINES = {
    "scrapers.pipelines.ValidatePipeline": 100,
    "scrapers.pipelines.ClassifyPipeline": 200,
    "scrapers.pipelines.StorePipeline": 300,
}
STORE_BATCH_SIZE = int(os.environ.get("AILABOR_STORE_BATCH", "200"))

AILABOR_DB = os.environ.get("AILABOR_DB")
AILABOR_TOPICS = os.environ.get("AILABOR_TOPICS")

FEDERAL_REGISTER_API_URL = os.environ.get("FEDERAL_REGISTER_API_URL", "https://www.federalregister.gov/api/v1")
CONGRESS_API_URL = os.environ.get("CONGRESS_API_URL", "https://api.congress.gov/v3")
OPENSTATES_API_URL = os.environ.get("OPENSTATES_API_URL", "https://v3.openstates.org")
REGULATIONS_GOV_API_URL = os.environ.get("REGULATIONS_GOV_API_URL", "https://api.regulations.gov/v4")
AGENCY_PAGES_BASE_URL = os.environ.get("AGENCY_PAGES_BASE_URL")  # replaces scheme and host of every agency page
GOVINFO_API_URL = os.environ.get("GOVINFO_API_URL", "https://api.govinfo.gov")
GOVINFO_URL = os.environ.get("GOVINFO_URL", "https://www.govinfo.gov")  # bulk data (BILLSTATUS) and bill texts
AILABOR_TEXT_BASE_URL = os.environ.get("AILABOR_TEXT_BASE_URL")  # replaces scheme and host of every bill text

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("AILABOR_LOG_LEVEL", "WARNING")
