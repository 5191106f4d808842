"""Security controls (等保 2.0 level 3) and the tamper-evident audit log.

Other apps write audit records with::

    import audit
    audit.record(request, "export", obj, "success", rows=120)

``request`` may be None inside a request: the one being served is used.
"""


def record(request=None, action="", obj=None, result="success", **detail):
    """Append one audit record (see ``audit.services.record``)."""
    from .services import record as _record

    return _record(request, action, obj, result, **detail)
