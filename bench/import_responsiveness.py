"""Do the area pages stay responsive while an import runs? (issue 4, Speed)

Builds the demo city (scale 0.1) in a temporary SQLite database, serves it with gunicorn, and times an
area page: first idle, then while `manage.py import_reports` loads the scale-1 demo reports (~300,000)
in another process, as the task worker would. Prints medians, maxima and the ratio busy/idle.

Run: ``python bench/import_responsiveness.py`` (about a minute and a half).
"""

import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-resp-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "hotspot.test_settings",
    }
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "make_demo_city", "--scale", "0.1", "-v0"], env=env, check=True, cwd=ROOT
    )
    subprocess.run(
        [PY, "-m", "democity", "--out", str(tmp / "files"), "--scale", "1"],
        check=True,
        cwd=ROOT,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "hotspot.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(100):
        try:
            page = opener.open(f"{base}/accounts/login/", timeout=2).read().decode()
            break
        except OSError:
            time.sleep(0.3)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": "analyst", "password": "analyst-hotspot-demo"}
    opener.open(
        urllib.request.Request(
            f"{base}/accounts/login/",
            urllib.parse.urlencode(form).encode(),
            headers={"Referer": base},
        )
    )
    area = (
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from hotspot.areas.models import Area; print(Area.objects.filter(kind='district', municipality__code='999').first().pk)",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    url = f"{base}/areas/{area}/"

    def timed() -> float:
        t = time.perf_counter()
        opener.open(url, timeout=60).read()
        return 1000 * (time.perf_counter() - t)

    timed()
    idle = [timed() for _ in range(20)]
    importer = subprocess.Popen(
        [*manage, "import_reports", str(tmp / "files" / "reports.csv"), "--municipality", "999"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    busy = []
    started = time.perf_counter()
    while importer.poll() is None:
        busy.append(timed())
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    server.terminate()
    print(
        f"area page idle:            median {statistics.median(idle):6.1f} ms   max {max(idle):6.1f} ms   n {len(idle)}"
    )
    print(
        f"area page during import:   median {statistics.median(busy):6.1f} ms   max {max(busy):6.1f} ms   n {len(busy)}"
    )
    print(
        f"ratio busy/idle (median):  {statistics.median(busy) / statistics.median(idle):.2f}   import took {seconds:.1f} s (exit {importer.returncode})"
    )


if __name__ == "__main__":
    main()
