"""Reference numbers: per kind and year, formatted 营商服函〔2026〕0001号,
unique when two generators run at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading

from django.contrib.auth.models import Group
from django.db import connection

import pytest

from approvals.choices import Role
from enterprises.models import Industry
from letters import services
from letters.choices import CounterKind
from letters.models import Letter

from .conftest import make_obstacles


@pytest.mark.django_db
def test_numbers_follow_each_other_per_kind_and_year():
    assert services.reference_allocate(kind=CounterKind.LETTER, year=2026) == [1]
    assert services.reference_allocate(kind=CounterKind.LETTER, year=2026, count=3) == [2, 3, 4]
    assert services.reference_allocate(kind=CounterKind.BULLETIN, year=2026) == [1]
    assert services.reference_allocate(kind=CounterKind.LETTER, year=2027) == [1]
    assert services.format_reference(CounterKind.LETTER, 2026, 1) == "营商服函〔2026〕0001号"
    assert services.format_reference(CounterKind.BULLETIN, 2026, 3) == "营商督通〔2026〕3号"
    assert services.chinese_date(__import__("datetime").date(2026, 11, 5)) == "2026年11月5日"


def _run_together(target, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks are only real on PostgreSQL")
@pytest.mark.django_db(transaction=True)
class TestConcurrentGenerators:
    @pytest.fixture(autouse=True)
    def _reference_data(self, transactional_db):
        for role in Role:
            Group.objects.get_or_create(name=role)
        Industry.objects.get_or_create(code="C", defaults={"name_zh": "制造业",
                                                           "name_en": "Manufacturing"})

    def test_two_allocators_never_share_a_number_even_for_a_new_year(self):
        # the year's counter row does not exist yet: both race to create it
        results = _run_together(lambda: [
            n for _ in range(15)
            for n in services.reference_allocate(kind=CounterKind.LETTER, year=2031)])
        numbers = [n for r in results for n in r]
        assert sorted(numbers) == list(range(1, 31))

    def test_two_letters_written_at_once_get_different_numbers(self, enterprise, dept):
        make_obstacles(enterprise, dept, n=2)
        results = _run_together(lambda: services.letter_create(enterprise=enterprise).pk)
        letters = Letter.objects.filter(pk__in=results).order_by("number")
        assert [x.number for x in letters] == [1, 2]
        assert len({x.reference for x in letters}) == 2
