"""Crawls on a schedule: schedule.yml (config), what starts each crawl (runners), the APScheduler service.

The tracker is only as good as its freshest run, so each source is crawled on
its own cron trigger without a person. The three modules are split so that
reading the schedule, as ``ailabor status`` does, loads neither the
scheduler service nor Scrapy.
"""
