from django.core.management.base import BaseCommand, CommandError

from hotspot.accounts.models import Membership
from hotspot.demo.models import DemoCity
from hotspot.demo.programmes import build_demo_programmes


class Command(BaseCommand):
    help = (
        "Set up the two demo programmes for the demo city's 2010 hotspots (run make_demo_city first). "
        "Idempotent: existing demo programmes are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality", default="", help="municipality code (default: every demo city)"
        )

    def handle(self, *args, municipality, **options):
        cities = DemoCity.objects.select_related("municipality")
        if municipality:
            cities = cities.filter(municipality__code=municipality)
            if not cities.exists():
                raise CommandError(f"no demo city with municipality code {municipality!r}")
        for city in cities:
            coordinator = (
                Membership.objects.filter(municipality=city.municipality, role="coordinator")
                .select_related("user")
                .order_by("user__username")
                .first()
            )
            made = build_demo_programmes(
                city.municipality, coordinator=coordinator.user if coordinator else None
            )
            if options["verbosity"]:
                names = ", ".join(p.name for p in made) or "nothing new"
                self.stdout.write(f"{city.municipality}: {names}")
