"""Fill a PostgreSQL database with a city's worth of data, fast.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench \\
        python -m bench.generate --enterprises 50000 --obstacles 500000

Creates the database when missing and migrates it. Refuses a database that
already holds enterprises or obstacles unless ``--reset`` (which truncates them;
only allowed on a database whose name contains "bench" unless ``--force``).
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.common import configure, database_name


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--obstacles", type=int, default=500_000)
    parser.add_argument("--staff", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=3, help="obstacles spread over this many")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reset", action="store_true",
                        help="truncate the registry, the closed loop and users first")
    parser.add_argument("--colours-only", action="store_true",
                        help="only (re)write the colour history of the tasks already there")
    parser.add_argument("--force", action="store_true",
                        help="allow --reset on a database not named *bench*")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    url = configure(create_database=True)
    if args.reset and "bench" not in database_name(url) and not args.force:
        sys.exit(f"bench: refusing to --reset {database_name(url)!r} (no 'bench' in its "
                 "name); add --force if you mean it")
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated {database_name(url)} in {time.perf_counter() - started:.1f} s")

    from bench.fill import Filler

    if args.colours_only:
        Filler(args).colours_only()
    else:
        Filler(args).run()


if __name__ == "__main__":
    main()
