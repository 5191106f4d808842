"""Serving private files (attachments, photos): always as a download, never
inline, with sniffing off, and a clear 404 when the store lost the file."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

import audit


def private_file_response(attachment) -> FileResponse:
    """``attachment`` has ``file``, ``original_name`` and ``content_type``; the
    caller has already found it through the user's scope."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the store.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    audit.record(None, "download", attachment, name=attachment.original_name)
    return response
