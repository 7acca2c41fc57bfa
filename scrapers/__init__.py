"""AI Labor Watch: the Scrapy project that collects bills and agency meetings on AI and work."""
__version__ = "0.1.0"
