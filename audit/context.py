"""The request being served, for audit records written where no request is
passed (signal receivers, ``approvals.downloads``, ``approvals.exports``).

A ``ContextVar`` rather than a thread-local: it is per thread and per asyncio
task, and ``AuditContextMiddleware`` resets it after every request."""

from contextvars import ContextVar

current_request: ContextVar = ContextVar("audit_current_request", default=None)
