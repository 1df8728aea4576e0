import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hotspot.demo.actions import build_city, ensure_demo_users
from hotspot.demo.indices import make_demo_index
from hotspot.demo.studies import make_demo_studies


class Command(BaseCommand):
    help = (
        "Build the synthetic demo city (Demokommune) and a small second municipality, and create one demo "
        "user per role. Reuses what exists when seed and scale are unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="1 = ~250,000 residents and ~300,000 reports; 0.1 for tests",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="delete and rebuild even if it exists"
        )
        parser.add_argument("--no-users", action="store_true", help="do not create the demo users")

    def handle(self, *args, seed, scale, rebuild, no_users, **options):
        if scale <= 0 or scale > 10:
            raise CommandError(f"--scale must be in (0, 10]; got {scale}")
        quiet = options["verbosity"] == 0

        def log(message):
            if not quiet:
                self.stdout.write(message)

        built = {}
        for variant in ("demo", "small"):
            built[variant] = result = build_city(
                seed=seed, scale=scale, variant=variant, rebuild=rebuild, log=log
            )
            if result.built:
                sizes = ", ".join(f"{k} {v:,}" for k, v in result.sizes.items())
                log(
                    self.style.SUCCESS(
                        f"Built {result.municipality} in {result.seconds:.1f} s: {sizes}"
                    )
                )
            else:
                log(
                    f"{result.municipality} already built (seed {seed}, scale {scale}); reusing it."
                )
        if no_users:
            return
        rows = ensure_demo_users(built["demo"].municipality, built["small"].municipality)
        # Demo content of the later apps: the programmes (two ended, one running with its casework),
        # the evaluation studies, a computed safety index and a selection dossier.
        for step, run in (
            (
                "programmes",
                lambda: call_command("make_demo_programmes", verbosity=options["verbosity"]),
            ),
            ("studies", lambda: make_demo_studies(log=log)),
            ("safety index", lambda: make_demo_index(log=log)),
        ):
            started = time.perf_counter()
            run()
            log(f"  ({step}: {time.perf_counter() - started:.1f} s)")
        log("")
        log("Demo users (synthetic data only):")
        log(f"  {'user':<12} {'password':<28} {'role':<12} municipality")
        for username, password, role, municipality in rows:
            log(f"  {username:<12} {password:<28} {role:<12} {municipality}")
