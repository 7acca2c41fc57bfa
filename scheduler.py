"""Entry point of the crawl scheduler: ``python scheduler.py [--list | --once]``.

The same command as ``ailabor schedule``; the work is done in ailabor/schedule/.
"""

from ailabor.cli import schedule

if __name__ == "__main__":
    schedule.main(prog_name="python scheduler.py")
