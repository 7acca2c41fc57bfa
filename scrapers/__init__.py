"""The Scrapy project: settings, pipelines, middlewares and one spider per source (the rest is in ailabor/)."""
