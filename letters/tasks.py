"""Celery tasks of the letters app: ids in, one service call, idempotent."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=900,
             soft_time_limit=840)
def write_letter_chunk_task(batch_id: int, item_ids: list[int]) -> int:
    """Write one chunk of a batch. ``acks_late`` + ``reject_on_worker_lost``:
    a worker killed mid-chunk leaves the message on the queue, and the rerun
    skips the items already written (the service checks each under a lock)."""
    return services.batch_write_chunk(batch_id=batch_id, item_ids=item_ids)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def create_bulletin_task(period_start: str, period_end: str) -> int:
    """The monthly bulletin (or any period), for the scheduler: ISO dates in."""
    from datetime import date

    return services.bulletin_create(date.fromisoformat(period_start),
                                    date.fromisoformat(period_end)).pk
