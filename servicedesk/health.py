"""``/healthz``: may this process take traffic? For the load balancer, the
process supervisor and whoever is on call.

Three checks, each cheap enough to run every few seconds:

- **database**: a ``SELECT 1`` on the default connection;
- **broker**: one connection to Celery's broker (Redis in production, the
  filesystem transport by default), without retrying: a broker that is down
  must show at once, not after Kombu's back-off;
- **disk**: free space where the desk writes (uploads, private files, ``var/``)
  is at least ``DESK["HEALTH_MIN_FREE_DISK_MB"]``.

The answer is JSON, 200 when every check passes and 503 otherwise, so a plain
HTTP probe needs no parsing. It names the failed check and the exception's
class only: a public endpoint must not hand out host names or stack traces
(the log has the details). No login, no session, never cached.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_broker() -> dict:
    from servicedesk.celery import app

    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        # one attempt, no back-off: the probe must answer within its own timeout
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                               timeout=BROKER_TIMEOUT_SECONDS)
        return {"transport": conn.transport_cls}


def _write_paths() -> list[Path]:
    paths = {Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT), settings.VAR_DIR}
    # a store that does not exist yet is created on the first upload: measure
    # the nearest existing parent, which is where that upload will land
    result = []
    for p in sorted(paths):
        while not p.exists() and p != p.parent:
            p = p.parent
        result.append(p)
    return result


def check_disk() -> dict:
    minimum = settings.DESK["HEALTH_MIN_FREE_DISK_MB"]
    free = {str(p): shutil.disk_usage(p).free // (1024 * 1024) for p in _write_paths()}
    low = {p: mb for p, mb in free.items() if mb < minimum}
    if low:
        raise OSError(f"less than {minimum} MB free: {low}")
    return {"free_mb": min(free.values()), "min_free_mb": minimum}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "broker": check_broker,
    "disk": check_disk,
}


def _run(name: str, check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as e:  # any failure is an unhealthy answer, never a 500
        logger.exception("health check %s failed", name)
        result = {"ok": False, "error": type(e).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def healthz(request):
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks},
                        status=200 if healthy else 503)
