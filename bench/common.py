"""What both bench commands need before Django starts: the environment, and a
PostgreSQL database that exists."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/bench"


def configure(*, create_database: bool) -> str:
    """Set the environment the benchmarks run in and start Django.

    The settings the tests use (``TESTING=1``: no HTTPS redirect, no static
    manifest, MD5 hasher) with ``DEBUG`` off, so no query log is kept while
    timing. ``CONN_MAX_AGE`` defaults to 60 as in ``.env.example``: production
    keeps its connections, so reconnecting per request is not measured.
    Returns the database URL in use.
    """
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    scheme = urlsplit(url).scheme
    if not scheme.startswith("postgres"):
        sys.exit(f"bench: DATABASE_URL must name a PostgreSQL database, not {scheme!r}")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("TESTING", "1")
    os.environ.setdefault("CONN_MAX_AGE", "60")
    # TESTING turns the ledger's green-count cache off (tests need exact counts
    # at once); production keeps it for 60 s, and that is what is measured.
    os.environ.setdefault("LEDGER_COUNTS_CACHE_SECONDS", "300")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    if create_database:
        ensure_database(url)
    import django

    django.setup()
    from django.conf import settings

    assert not settings.DEBUG, "bench: DEBUG must be off while timing"  # noqa: S101
    return url


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the one named by ``url`` does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
