"""Template filters that mask personal information (PIPL) on pages that list
it; the full value is shown only by the audited "show in full" pages."""

from django import template

from audit.identity import mask_id_number
from enterprises.models import mask_email as _mask_email
from enterprises.models import mask_mobile

register = template.Library()


@register.filter
def mask_phone(value) -> str:
    """138****1234 (a landline: 057****4321); empty stays empty."""
    return mask_mobile(str(value)) if value else ""


@register.filter
def mask_id(value) -> str:
    """3301**********1234."""
    return mask_id_number(str(value)) if value else ""


@register.filter
def mask_email(value) -> str:
    """z***@example.com; empty stays empty."""
    return _mask_email(str(value)) if value else ""
