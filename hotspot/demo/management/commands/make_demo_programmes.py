from django.core.management.base import BaseCommand, CommandError

from hotspot.accounts.models import Membership
from hotspot.demo.casework import build_demo_casework
from hotspot.demo.models import DemoCity
from hotspot.demo.programmes import build_demo_programmes, running_programme


class Command(BaseCommand):
    help = (
        "Set up the demo programmes (run make_demo_city first): the two 2010 hotspots' (ended) and the "
        "late hotspot's running one with its casework. Idempotent: existing demo programmes are left "
        "as they are."
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
        quiet = not options["verbosity"]
        for city in cities:
            # The first member of each role (the demo users: one per role).
            users = {}
            for m in (
                Membership.objects.filter(municipality=city.municipality)
                .select_related("user")
                .order_by("role", "user__username")
            ):
                users.setdefault(m.role, m.user)
            made = build_demo_programmes(city.municipality, coordinator=users.get("coordinator"))
            if not quiet:
                names = ", ".join(p.name for p in made) or "nothing new"
                self.stdout.write(f"{city.municipality}: {names}")
            running = running_programme(city.municipality)
            if running is not None:
                build_demo_casework(
                    running,
                    seed=city.seed,
                    users=users,
                    log=(lambda m: None) if quiet else self.stdout.write,
                )
