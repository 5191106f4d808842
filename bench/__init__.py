"""City-scale data generator and benchmarks, run by hand (never by the test suite).

``python -m bench.generate`` fills a PostgreSQL database; ``python -m bench.run``
prints the figures. See ``bench/README.md``.
"""
