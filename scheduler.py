"""Entry point of the crawl scheduler: ``python scheduler.py [--list | --once]``.

The same command as ``ailabor schedule``; the work is done in scrapers/schedule/.
"""

from scrapers.cli import schedule

if __name__ == "__main__":
    schedule.main(prog_name="python scheduler.py")
