from django.core.management.base import BaseCommand

from core.demo.builder import DemoWorld


class Command(BaseCommand):
    help = ("Load the paper-industry demo world (companies, staff, products, a year of orders, live orders in "
            "every state, tiers, credit and reminders, debt clearing and cases, barter deals). Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="Do nothing when the whole demo world was loaded before (used by `make run`); "
                                 "a world loaded by an earlier version is completed.")

    def handle(self, *args, once=False, **options):
        if once and DemoWorld.is_loaded():
            self.stdout.write("demo world already loaded")
            return
        DemoWorld(stdout=self.stdout).build()
