from django.core.management.base import BaseCommand

from accounts.models import User
from core.demo.builder import DemoWorld
from core.demo.logins import STAFF


class Command(BaseCommand):
    help = "Load the paper-industry demo world (companies, staff, products, a year of orders). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="Do nothing when the demo world was loaded before (used by `make run`).")

    def handle(self, *args, once=False, **options):
        if once and User.objects.filter(email=STAFF[0][0]).exists():
            self.stdout.write("demo world already loaded")
            return
        DemoWorld(stdout=self.stdout).build()
