"""System checks for the security settings that production must not miss."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_security_settings(app_configs=None, **kwargs):
    problems = []
    if not settings.FIELD_ENCRYPTION_KEY:
        problems.append(Warning(
            "FIELD_ENCRYPTION_KEY is not set: personal data is encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set FIELD_ENCRYPTION_KEY (Fernet.generate_key()) and FIELD_INDEX_KEY, "
                 "and keep them apart from the database backups.",
            id="audit.W001"))
    if not settings.FIELD_INDEX_KEY:
        problems.append(Warning(
            "FIELD_INDEX_KEY is not set: blind indexes use a key derived from SECRET_KEY.",
            hint="Set FIELD_INDEX_KEY to a long random string and never change it.",
            id="audit.W002"))
    if not settings.SECURITY["TWO_FACTOR_REQUIRED"]:
        problems.append(Warning(
            "Two-factor login is not required for coordinators, leaders and "
            "administrators.", hint="Set TWO_FACTOR_REQUIRED=True.", id="audit.W003"))
    return problems


@register(Tags.security)
def check_audit_retention(app_configs=None, **kwargs):
    days = settings.SECURITY["AUDIT_ONLINE_DAYS"]
    if days < 180:
        return [Error(
            f"AUDIT_ONLINE_DAYS is {days}: the Cybersecurity Law asks for six months.",
            hint="Keep audit records online for at least 180 days.", id="audit.E001")]
    return []
