"""What every desk page needs: the navigation the user's roles open, and the
calendar warning banner for coordinators."""

from django.core.cache import cache
from django.utils import timezone

from . import permissions
from .calendar import years_missing
from .choices import Role


def desk(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    r = permissions.roles(user)
    staff = permissions.is_staff_member(user)
    context = {
        "nav": {
            "ledger": staff,
            "visits": Role.SERVICE_STAFF in r,
            "visit_report": bool(r & {Role.SERVICE_STAFF, Role.COORDINATOR, Role.LEADER}),
            "my_tasks": bool(r & permissions.DEPARTMENT_ROLES),
            "department_tasks": Role.DEPARTMENT_HEAD in r,
            "approvals": permissions.can_decide_approvals(user),
            "kpis": permissions.can_view_kpis(user),
            # integrity pages (insight/): the office and leaders; silent tasks also
            # for departments
            "insight": bool(r & {Role.COORDINATOR, Role.LEADER}),
            "silent": bool(r & ({Role.COORDINATOR, Role.LEADER} | permissions.DEPARTMENT_ROLES)),
            "enterprises": staff,
            "portal": Role.FIRM_USER in r,
            "admin": user.is_staff,
            "cms": bool(r & {Role.EDITOR, Role.MODERATOR}) or user.is_superuser,
        }
    }
    if Role.COORDINATOR in r:
        today = timezone.localdate()
        # one MAX over open tasks; the answer changes rarely, so ten minutes of
        # cache spare it on every coordinator page
        context["calendar_years_missing"] = cache.get_or_set(
            f"calendar:years-missing:{today.isoformat()}", lambda: years_missing(today), 600)
    return context
