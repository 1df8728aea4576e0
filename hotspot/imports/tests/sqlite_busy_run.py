"""Run by test_sqlite_busy.py in a subprocess, against a real SQLite file (``DATABASE_URL``).

Builds a small demo city, then commits a large crime-report file in one thread while other threads
log in, open pages and export the areas (audited) the whole time. Prints one JSON line: the commit's
duration and status, and per request kind the answers and the longest wait.
"""

import json
import os
import sys
import threading
import time


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from hotspot.accounts.models import Municipality
    from hotspot.imports import actions
    from hotspot.incidents.models import CrimeReport

    rows = int(os.environ.get("BUSY_ROWS", "150000"))
    settings.IMPORT_CHUNKED_COMMIT = os.environ.get("BUSY_CHUNKED", "1") == "1"
    settings.IMPORT_DIR = os.environ["BUSY_DIR"]
    call_command("migrate", verbosity=0)
    call_command("make_demo_city", seed=1, scale=0.02, verbosity=0)
    municipality = Municipality.objects.get(memberships__user__username="coordinator")
    some = list(CrimeReport.objects.filter(municipality=municipality)[:1000])
    path = os.path.join(os.environ["BUSY_DIR"], "big.csv")
    with open(path, "w") as out:
        out.write("id,occurred_at,offence,x,y\n")
        for i in range(rows):
            r = some[i % len(some)]
            ident = r.external_id if i < len(some) else f"BIG-{i}"  # changes some, adds the rest
            out.write(f"{ident},2020-0{1 + i % 9}-1{i % 10}T1{i % 10}:15:00,ROEV,{r.x},{r.y}\n")
    batch = actions.create_batch(
        municipality=municipality, kind="reports", file_name="big.csv", path=path
    )
    actions.validate(batch)
    assert batch.status == "ready", batch.error
    connections.close_all()

    result = {"requests": {}, "errors": []}
    done = threading.Event()

    def commit():
        started = time.monotonic()
        try:
            actions.commit(type(batch).objects.get(pk=batch.pk))
            result["commit_status"] = type(batch).objects.get(pk=batch.pk).status
        except Exception as exc:  # reported, not hidden
            result["errors"].append(f"commit: {exc!r}")
        finally:
            result["commit_seconds"] = round(time.monotonic() - started, 1)
            done.set()
            connections.close_all()

    def user(name, request):
        answers, longest = {}, 0.0
        client = Client(raise_request_exception=False)
        try:
            while not done.is_set():
                started = time.monotonic()
                try:
                    status = request(client)
                except Exception as exc:  # the test client re-raises what a view raised
                    status = f"exception {type(exc).__name__}: {exc}"
                longest = max(longest, time.monotonic() - started)
                answers[str(status)] = answers.get(str(status), 0) + 1
                time.sleep(0.2)
        finally:
            result["requests"][name] = {"answers": answers, "longest": round(longest, 2)}
            connections.close_all()

    def log_in(client, name):
        response = client.post(
            "/accounts/login/", {"username": name, "password": f"{name}-hotspot-demo"}
        )
        ok = response.status_code == 302 and "_auth_user_id" in client.session
        return response.status_code if ok else f"login refused ({response.status_code})"

    def login(client):
        client.logout()
        return log_in(client, "analyst")

    def login_page(client):
        client.logout()
        return log_in(client, "police")

    def page(client):
        if "_auth_user_id" not in client.session:
            log_in(client, "partner")
        return client.get("/areas/").status_code

    def export(client):
        if "_auth_user_id" not in client.session:
            log_in(client, "coordinator")
        return client.get("/areas/export.csv").status_code

    threads = [threading.Thread(target=commit)] + [
        threading.Thread(target=user, args=(name, fn))
        for name, fn in (
            ("login", login),
            ("login_page", login_page),
            ("page", page),
            ("export", export),
        )
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(900)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
