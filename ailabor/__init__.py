"""AI Labor Watch: the application around the crawl (commands, store, relevance, digests, schedule, site)."""
__version__ = "0.1.0"
