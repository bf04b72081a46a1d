import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from analytics.days import utc_today
from analytics.rollups import rollups_rebuild

from ._arguments import parse_day
from ._progress import progress_bar


class Command(BaseCommand):
    help = "Rebuild the daily analytics rollups from videos, the cost ledger, snapshots and revenue days."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="First day (YYYY-MM-DD); default 29 days before --to.")
        parser.add_argument("--to", dest="date_to", help="Last day (YYYY-MM-DD); default today (UTC).")

    def handle(self, *args, date_from=None, date_to=None, **options):
        last = parse_day(date_to, option="--to") or utc_today()
        first = parse_day(date_from, option="--from") or last - dt.timedelta(days=29)
        if first > last:
            raise CommandError("--from must be on or before --to")
        result = rollups_rebuild(date_from=first, date_to=last, progress=progress_bar(self, "days"))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {result['days']} day(s): {result['rows']} rollup row(s)."))
