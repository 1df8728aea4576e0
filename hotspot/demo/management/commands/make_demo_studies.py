from django.core.management.base import BaseCommand

from hotspot.demo.studies import make_demo_studies


class Command(BaseCommand):
    help = (
        "Create and run the demo city's evaluation studies (idempotent: existing results are kept)."
    )

    def handle(self, *args, **options):
        quiet = options["verbosity"] == 0
        make_demo_studies(log=(lambda m: None) if quiet else self.stdout.write)
