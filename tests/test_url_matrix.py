"""The project-wide permission matrix: every URL pattern of the project's own
apps, read from the URLconf, against every kind of user.

A pattern missing from ``TABLE`` fails ``test_every_url_pattern_is_in_the_table``,
so no new page escapes the matrix. Each row lists what the ten users get:
anonymous, firm user of enterprise A, firm user of enterprise B, service staff
(recorded A's obstacle, A's liaison), officer of the owning department,
officer of another department, the department's head, coordinator, leader and
CMS editor. Every request runs in a savepoint that is rolled back, so a POST
that one user may make does not change what the next one sees.

The Django admin and the Wagtail admin keep their own permission systems: the
matrix only checks that no non-staff user gets into them.

Statuses: 200, 400 (a form error: the user may act, the empty form is refused),
LOGIN (302 to the login page), GO (302 elsewhere: the action ran or the page
moved on), 403 (in scope, not allowed), 404 (out of scope or missing: the same
answer), 405 (wrong method), 410 (a used link).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import pytest

from approvals import services as task_services
from approvals.choices import ApprovalKind
from approvals.models import ApprovalRequest, Attachment
from enterprises import services as account_services
from insight.models import ChaseNotice
from letters.models import Bulletin, Letter
from tests.factories import (
    ContactFactory,
    LiaisonFactory,
    MembershipFactory,
    TaskFactory,
)
from tests.insight import matrix as insight_matrix
from tests.letters import matrix as lm
from visits import services as visit_services
from visits.models import VisitAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")

LOGIN, GO = "login", "go"
USERS = ("anonymous", "firm", "firm2", "staff", "officer", "other_officer", "head",
         "coordinator", "leader", "editor")

# Libraries' URL trees with their own permission systems (checked separately),
# and the development-only media server.
FOREIGN_PREFIXES = ("admin/", "cms-admin/", "documents/", "_util/", "^media/")


def _project_routes() -> set[str]:
    """Every route of the URLconf except the libraries' admin trees and the
    Wagtail page-serving catch-all."""
    routes: set[str] = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(FOREIGN_PREFIXES) or p.callback.__module__.startswith(
                        "wagtail"):
                    continue
                routes.add(route)

    walk(get_resolver().url_patterns)
    return routes


def R(name, *args):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args])


# route: (method, url(world), data, row for USERS)
#                                     anon   firm   firm2  staff  officer other  head   coord  leader editor
TABLE: dict[str, tuple] = {
    # Django's own views mounted by the project
    "i18n/setlang/": ("post", R("set_language"), {"language": "en"},
                      (GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO)),
    "accounts/login/": ("get", R("login"), None,
                        (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "accounts/logout/": ("post", R("logout"), {},
                         (GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO)),
    "accounts/password-reset/": ("get", R("password_reset"), None,
                                 (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "accounts/password-reset/done/": ("get", R("password_reset_done"), None,
                                      (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "accounts/reset/<uidb64>/<token>/": ("get", R("password_reset_confirm", "MQ", "bad-token"), None,
                                         (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "accounts/reset/done/": ("get", R("password_reset_complete"), None,
                             (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    # the health probe: public, the same answer for everyone (no session needed)
    "healthz": ("get", R("healthz"), None,
                (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    # the desk's home
    "desk/": ("get", R("home"), None,
              (LOGIN, GO,    GO,    GO,    200,   200,   200,   200,   200,   GO)),
    # CMS (public pages: the same answer for everyone; a missing page id is 404)
    "search/": ("get", R("search"), None,
                (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "cms/related/": ("get", R("cms:related-pages"), None,
                     (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "cms/checklists/<int:page_id>/print.pdf": ("get", R("cms:checklist-pdf", 987654), None,
                                               (404,   404,   404,   404,   404,   404,   404,   404,   404,   404)),
    "cms/pages/<int:page_id>/feedback/": ("post", R("cms:feedback-create", 987654), {},
                                          (404,   404,   404,   404,   404,   404,   404,   404,   404,   404)),
    # the registry
    "enterprises/": ("get", R("enterprises:enterprise-list"), None,
                     (LOGIN, 403,   403,   200,   200,   200,   200,   200,   200,   403)),
    "enterprises/new/": ("get", R("enterprises:enterprise-create"), None,
                         (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "enterprises/<int:pk>/": ("get", R("enterprises:enterprise-detail", lambda w: w.a.pk), None,
                              (LOGIN, 200,   404,   200,   200,   200,   200,   200,   200,   404)),
    "enterprises/<int:pk>/edit/": ("get", R("enterprises:enterprise-update", lambda w: w.a.pk), None,
                                   (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    "enterprises/<int:pk>/accounts/": ("get", R("enterprises:enterprise-accounts", lambda w: w.a.pk), None,
                                       (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    "enterprises/account-requests/<int:pk>/decide/": (
        "post", R("enterprises:account-request-decide", lambda w: w.account_request.pk), {"decision": "refuse"},
        (LOGIN, 403,   404,   GO,    403,   403,   403,   GO,    403,   404)),
    "enterprises/import/": ("get", R("enterprises:enterprise-import"), None,
                            (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "enterprises/import/<slug:token>/confirm/": ("post", R("enterprises:enterprise-import-confirm", "no-such-import"), {},
                                                 (LOGIN, 403,   403,   403,   403,   403,   403,   404,   403,   403)),
    # visits
    "visits/": ("get", R("visits:my-week"), None,
                (LOGIN, 403,   403,   200,   403,   403,   403,   200,   403,   403)),
    "visits/new/": ("get", R("visits:visit-create"), None,
                    (LOGIN, 403,   403,   200,   403,   403,   403,   200,   403,   403)),
    "visits/all/": ("get", R("visits:visit-list"), None,
                    (LOGIN, 403,   403,   200,   403,   403,   403,   200,   200,   403)),
    "visits/coverage/": ("get", R("visits:coverage"), None,
                         (LOGIN, 403,   403,   200,   403,   403,   403,   200,   200,   403)),
    "visits/report/": ("get", R("visits:weekly-report"), None,
                       (LOGIN, 403,   403,   200,   403,   403,   403,   200,   200,   403)),
    # a visit out of the user's scope answers 404, like a missing one
    "visits/<int:pk>/": ("get", R("visits:visit-detail", lambda w: w.visit.pk), None,
                         (LOGIN, 404,   404,   200,   404,   404,   404,   200,   200,   404)),
    "visits/<int:pk>/edit/": ("get", R("visits:visit-update", lambda w: w.visit.pk), None,
                              (LOGIN, 404,   404,   200,   404,   404,   404,   200,   403,   404)),
    "visits/attachments/<int:pk>/": ("get", R("visits:attachment-download", lambda w: w.visit_file.pk), None,
                                     (LOGIN, 404,   404,   200,   404,   404,   404,   200,   200,   404)),
    # the firm portal
    "portal/": ("get", R("portal:home"), None,
                (LOGIN, 200,   200,   403,   403,   403,   403,   403,   403,   403)),
    "portal/switch/<int:pk>/": ("post", R("portal:enterprise-switch", lambda w: w.a.pk), {},
                                (LOGIN, GO,    404,   404,   404,   404,   404,   404,   404,   404)),
    "portal/obstacles/": ("get", R("portal:obstacle-list"), None,
                          (LOGIN, 200,   200,   403,   403,   403,   403,   403,   403,   403)),
    "portal/obstacles/new/": ("get", R("portal:obstacle-create"), None,
                              (LOGIN, 200,   200,   403,   403,   403,   403,   403,   403,   403)),
    "portal/obstacles/<int:pk>/": ("get", R("portal:obstacle-detail", lambda w: w.task.obstacle_id), None,
                                   (LOGIN, 200,   404,   403,   403,   403,   403,   403,   403,   403)),
    "portal/obstacles/<int:pk>/rate/": ("post", R("portal:obstacle-rate", lambda w: w.task.obstacle_id), {},
                                        (LOGIN, 400,   404,   403,   403,   403,   403,   403,   403,   403)),
    "portal/obstacles/<int:pk>/dispute/": ("post", R("portal:obstacle-dispute", lambda w: w.task.obstacle_id), {},
                                           (LOGIN, 400,   404,   403,   403,   403,   403,   403,   403,   403)),
    "portal/attachments/<int:pk>/": ("get", R("portal:attachment-download", lambda w: w.attachment.pk), None,
                                     (LOGIN, 200,   404,   404,   404,   404,   404,   404,   404,   404)),
    "portal/letters/": ("get", R("portal:letter-list"), None,
                        (LOGIN, 200,   200,   403,   403,   403,   403,   403,   403,   403)),
    "portal/letters/<int:pk>/download/": ("get", R("portal:letter-download", lambda w: lm.letter(w).pk), None,
                                          (LOGIN, 200,   404,   404,   404,   404,   404,   404,   404,   404)),
    "portal/members/": ("get", R("portal:member-list"), None,
                        (LOGIN, 200,   200,   403,   403,   403,   403,   403,   403,   403)),
    "portal/members/<int:pk>/remove/": ("post", R("portal:member-remove", lambda w: w.colleague.pk), {},
                                        (LOGIN, GO,    404,   403,   403,   403,   403,   403,   403,   403)),
    "portal/invitations/<int:pk>/revoke/": ("post", R("portal:invitation-revoke", lambda w: w.invitation.pk), {},
                                            (LOGIN, GO,    404,   403,   403,   403,   403,   403,   403,   403)),
    "portal/invite/<str:token>/": ("get", R("portal:invitation-accept", lambda w: w.token), None,
                                   (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "portal/request-account/": ("get", R("portal:account-request"), None,
                                (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    # the closed loop
    "ledger/": ("get", R("approvals:ledger"), None,
                (LOGIN, 403,   403,   200,   200,   200,   200,   200,   200,   403)),
    "ledger/export.xlsx": ("get", R("approvals:ledger-export"), None,
                           (LOGIN, 403,   403,   200,   200,   200,   200,   200,   200,   403)),
    "tasks/mine/": ("get", R("approvals:my-tasks"), None,
                    (LOGIN, 403,   403,   403,   200,   200,   200,   403,   403,   403)),
    "tasks/department/": ("get", R("approvals:department-tasks"), None,
                          (LOGIN, 403,   403,   403,   403,   403,   200,   403,   403,   403)),
    "tasks/<int:pk>/": ("get", R("approvals:task-detail", lambda w: w.task.pk), None,
                        (LOGIN, 403,   403,   200,   200,   404,   200,   200,   200,   403)),
    "tasks/<int:pk>/<slug:action>/": ("post", R("approvals:task-action", lambda w: w.task.pk, "return"), {},
                                      (LOGIN, 403,   403,   403,   400,   404,   400,   403,   403,   403)),
    "obstacles/<int:pk>/": ("get", R("approvals:obstacle-detail", lambda w: w.task.obstacle_id), None,
                            (LOGIN, 403,   403,   GO,    GO,    404,   GO,    GO,    GO,    403)),
    "obstacles/new/<int:enterprise_pk>/": ("get", R("approvals:obstacle-create", lambda w: w.a.pk), None,
                                           (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    "attachments/<int:pk>/": ("get", R("approvals:attachment-download", lambda w: w.attachment.pk), None,
                              (LOGIN, 403,   403,   200,   200,   404,   200,   200,   200,   403)),
    "approvals/": ("get", R("approvals:approval-inbox"), None,
                   (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "approvals/<int:pk>/decide/": ("post", R("approvals:approval-decide", lambda w: w.approval.pk), {},
                                   (LOGIN, 403,   403,   403,   403,   403,   403,   GO,    403,   403)),
    "kpis/": ("get", R("approvals:kpis"), None,
              (LOGIN, 403,   403,   403,   403,   403,   200,   200,   200,   403)),
    # dashboards (#9): leaders and coordinators, a head for their department
    "dashboards/": ("get", R("dashboards:overview"), None,
                    (LOGIN, 403,   403,   403,   403,   403,   200,   200,   200,   403)),
    "dashboards/tables.xlsx": ("get", R("dashboards:tables-export"), None,
                               (LOGIN, 403,   403,   403,   403,   403,   200,   200,   200,   403)),
    "dashboards/ledger.xlsx": ("get", R("dashboards:ledger-export"), None,
                               (LOGIN, 403,   403,   403,   403,   403,   200,   200,   200,   403)),
    # integrity and insight (#10): appeals by the task's department, decided by a
    # coordinator; district-wide pages for the office and leaders
    "insight/tasks/<int:pk>/appeal/": ("get", R("insight:appeal-create", lambda w: w.task.pk), None,
                                       (LOGIN, 404,   404,   403,   200,   404,   200,   403,   403,   404)),
    "insight/appeals/": ("get", R("insight:appeal-list"), None,
                         (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    "insight/appeals/<int:pk>/decide/": ("post", R("insight:appeal-decide", insight_matrix.appeal), {},
                                         (LOGIN, 403,   403,   403,   403,   403,   403,   400,   403,   403)),
    "insight/obstacles/<int:pk>/merge/": ("get", R("insight:obstacle-merge", lambda w: w.task.obstacle_id), None,
                                          (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "insight/silent/": ("get", R("insight:silent-list"), None,
                        (LOGIN, 403,   403,   403,   200,   200,   200,   200,   200,   403)),
    # chase notices (催办通知书): the task's department, the office and leaders
    "insight/chase/": ("get", R("insight:chase-list"), None,
                       (LOGIN, 403,   403,   403,   200,   200,   200,   200,   200,   403)),
    "insight/chase/<int:pk>/download/": ("get", R("insight:chase-download", insight_matrix.chase_notice), None,
                                         (LOGIN, 404,   404,   404,   200,   404,   200,   200,   200,   404)),
    "insight/samples/": ("get", R("insight:sample-list"), None,
                         (LOGIN, 403,   403,   200,   403,   403,   403,   200,   200,   403)),
    "insight/samples/<int:pk>/": ("get", R("insight:sample-detail", insight_matrix.sample), None,
                                  (LOGIN, 403,   403,   200,   403,   403,   403,   200,   200,   403)),
    "insight/samples/items/<int:pk>/record/": ("post", R("insight:sample-record", insight_matrix.sample_item), {},
                                               (LOGIN, 403,   403,   400,   403,   403,   403,   400,   403,   403)),
    "insight/issues/": ("get", R("insight:issue-list"), None,
                        (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    "insight/issues/new/": ("get", R("insight:issue-create"), None,
                            (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "insight/issues/<int:pk>/": ("get", R("insight:issue-detail", insight_matrix.issue), None,
                                 (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    "insight/report/": ("get", R("insight:report"), None,
                        (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    "insight/report.pdf": ("get", R("insight:report-pdf"), None,
                           (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    # status letters: staff by role (A's liaison, A's department, all for the
    # coordinator and leader), batches for the coordinator, bulletins for the
    # coordinator and leader; the verification page is public
    "letters/": ("get", R("letters:letter-list"), None,
                 (LOGIN, 403,   403,   200,   200,   200,   200,   200,   200,   403)),
    "letters/new/<int:enterprise_pk>/": ("get", R("letters:letter-create", lambda w: w.a.pk), None,
                                         (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    "letters/<int:pk>/": ("get", R("letters:letter-detail", lambda w: lm.letter(w).pk), None,
                          (LOGIN, 404,   404,   200,   200,   404,   200,   200,   200,   404)),
    "letters/<int:pk>/download/": ("get", R("letters:letter-download", lambda w: lm.letter(w).pk), None,
                                   (LOGIN, 404,   404,   200,   200,   404,   200,   200,   200,   404)),
    "letters/verify/<str:token>/": ("get", R("letters:verify", lm.token), None,
                                    (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "letters/batches/": ("get", R("letters:batch-list"), None,
                         (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "letters/batches/<int:pk>/": ("get", R("letters:batch-detail", lambda w: lm.batch(w).pk), None,
                                  (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "letters/batches/<int:pk>/cancel/": ("post", R("letters:batch-cancel", lambda w: lm.batch(w).pk), {},
                                         (LOGIN, 403,   403,   403,   403,   403,   403,   GO,    403,   403)),
    "letters/batches/<int:pk>/resume/": ("post", R("letters:batch-resume", lambda w: lm.batch(w).pk), {},
                                         (LOGIN, 403,   403,   403,   403,   403,   403,   GO,    403,   403)),
    "letters/batches/<int:pk>/letters.zip": ("get", R("letters:batch-download", lambda w: lm.batch(w).pk), None,
                                             (LOGIN, 403,   403,   403,   403,   403,   403,   200,   403,   403)),
    "letters/bulletins/": ("get", R("letters:bulletin-list"), None,
                           (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    "letters/bulletins/<int:pk>/download/": ("get", R("letters:bulletin-download", lambda w: lm.bulletin(w).pk), None,
                                             (LOGIN, 403,   403,   403,   403,   403,   403,   200,   200,   403)),
    # notifications: every signed-in user's own inbox (another user's row or a
    # missing one is 404; tests/notifications has the owner's side)
    "notifications/": ("get", R("notifications:inbox"), None,
                       (LOGIN, 200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "notifications/<int:pk>/read/": ("post", R("notifications:notification-read", 987654), {},
                                     (LOGIN, 404,   404,   404,   404,   404,   404,   404,   404,   404)),
    "notifications/read-all/": ("post", R("notifications:read-all"), {},
                                (LOGIN, GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO)),
    "notifications/preferences/": ("get", R("notifications:preferences"), None,
                                   (LOGIN, 200,   200,   200,   200,   200,   200,   200,   200,   200)),
    # security: every user's own pages; the administrators' pages (audit log,
    # lockouts) refuse every desk role (tests/security has the admin roles)
    "security/password/": ("get", R("security:password-change"), None,
                           (LOGIN, 200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "security/two-factor/": ("get", R("security:two-factor"), None,
                             (LOGIN, 200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "security/two-factor/verify/": ("get", R("security:two-factor-verify"), None,
                                    (LOGIN, GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO)),
    "security/two-factor/recovery-codes/": ("get", R("security:recovery-codes"), None,
                                            (LOGIN, GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO)),
    "security/lockouts/": ("get", R("security:lockout-list"), None,
                           (LOGIN, 403,   403,   403,   403,   403,   403,   403,   403,   403)),
    "security/lockouts/unlock/": ("post", R("security:lockout-unlock"), {},
                                  (LOGIN, 403,   403,   403,   403,   403,   403,   403,   403,   403)),
    "security/contacts/<int:pk>/": ("get", R("security:contact-reveal", lambda w: w.contact.pk), None,
                                    (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    "security/enterprises/<int:pk>/legal-representative/": (
        "get", R("security:enterprise-id-reveal", lambda w: w.a.pk), None,
        (LOGIN, 403,   404,   200,   403,   403,   403,   200,   403,   404)),
    # obstacles are out of a firm user's desk scope (404); the assigned task has no owner yet
    "security/obstacles/<int:pk>/contact/": (
        "get", R("security:obstacle-contact-reveal", lambda w: w.task.obstacle_id), None,
        (LOGIN, 404,   404,   200,   403,   404,   403,   200,   403,   404)),
    "audit/": ("get", R("audit:log"), None,
               (LOGIN, 403,   403,   403,   403,   403,   403,   403,   403,   403)),
    "audit/export.xlsx": ("get", R("audit:export"), None,
                          (LOGIN, 403,   403,   403,   403,   403,   403,   403,   403,   403)),
    # REST API: sessions here (integration keys are tested in tests/api); no
    # credentials is 401, a signed-in user without a desk role 403
    "api/schema/": ("get", R("api:schema"), None,
                    (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "api/docs/": ("get", R("api:docs"), None,
                  (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "api/v1/obstacles/": ("get", R("api:obstacle-list"), None,
                          (401,   200,   200,   200,   200,   200,   200,   200,   200,   403)),
    "api/v1/obstacles/<int:pk>/": ("get", R("api:obstacle-detail", lambda w: w.task.obstacle_id), None,
                                   (401,   200,   404,   200,   200,   404,   200,   200,   200,   403)),
    "api/v1/obstacles/ref/<str:external_ref>/": ("get", R("api:obstacle-by-ref", "no-such-ref"), None,
                                                 (401,   404,   404,   404,   404,   404,   404,   404,   404,   403)),
    "api/v1/categories/": ("get", R("api:category-list"), None,
                           (401,   200,   200,   200,   200,   200,   200,   200,   200,   403)),
    # staff only; without ?credit_code= the answer is a 400 saying so
    "api/v1/enterprises/": ("get", R("api:enterprise-lookup"), None,
                            (401,   403,   403,   400,   400,   400,   400,   400,   400,   403)),
    # an integration's own webhook: keys only
    "api/v1/webhook/": ("get", R("api:webhook"), None,
                        (401,   403,   403,   403,   403,   403,   403,   403,   403,   403)),
    # Open311: services are public, requests need an integration key
    "open311/v2/services.<fmt311:fmt>": ("get", R("open311:service-list", "json"), None,
                                         (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "open311/v2/services/<slug:code>.<fmt311:fmt>": ("get", R("open311:service-definition", "ghyd", "xml"), None,
                                                     (200,   200,   200,   200,   200,   200,   200,   200,   200,   200)),
    "open311/v2/requests.<fmt311:fmt>": ("get", R("open311:request-list", "json"), None,
                                         (401,   401,   401,   401,   401,   401,   401,   401,   401,   401)),
    "open311/v2/requests/<int:pk>.<fmt311:fmt>": ("get", R("open311:request-detail", lambda w: w.task.obstacle_id, "xml"), None,
                                                  (401,   401,   401,   401,   401,   401,   401,   401,   401,   401)),
    # unknown paths under the two prefixes: JSON 404s, not the site's HTML page
    "api/^(?P<rest>[\\s\\S]*)$": ("get", R("api:not-found", "v1/no-such-thing/"), None,
                        (404,   404,   404,   404,   404,   404,   404,   404,   404,   404)),
    "open311/v2/^(?P<rest>[\\s\\S]*)$": ("get", R("open311:not-found", "services.csv"), None,
                               (404,   404,   404,   404,   404,   404,   404,   404,   404,   404)),
}


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    for field in (Attachment._meta.get_field("file"), VisitAttachment._meta.get_field("file"),
                  Letter._meta.get_field("file"), Bulletin._meta.get_field("file"),
                  ChaseNotice._meta.get_field("file")):
        monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def world(enterprise, enterprise_b, firm, firm2, staff, officer, other_officer, head,
          coordinator, leader, editor, dept, category, private_storage):
    """Enterprise A: an assigned task of ``dept`` recorded by ``staff`` (its
    liaison) with a PDF, a pending extension, a visit with a photo, an open
    invitation, an account request and a colleague of ``firm``; ``firm`` and
    ``firm2`` administer their own enterprises."""
    account_services.membership_add(user=firm, enterprise=enterprise, is_admin=True)
    account_services.membership_add(user=firm2, enterprise=enterprise_b, is_admin=True)
    colleague = MembershipFactory(enterprise=enterprise)
    LiaisonFactory(staff=staff, enterprise=enterprise)
    task = TaskFactory(assigned=True, department=dept, obstacle__enterprise=enterprise,
                       obstacle__category=category, obstacle__received_by=staff)
    attachment = task_services.attachment_add(
        obstacle=task.obstacle, actor=staff,
        upload=SimpleUploadedFile("规划图.pdf", PDF, content_type="application/pdf"))
    approval = ApprovalRequest.objects.create(
        kind=ApprovalKind.EXTENSION, task=task, requested_by=officer, reason="需要补件",
        requested_deadline_on=task.deadline_on.replace(year=task.deadline_on.year + 1),
        previous_deadline_on=task.deadline_on)
    contact = ContactFactory(enterprise=enterprise, name="甲联系人", mobile="13812341234")
    visit = visit_services.visit_save(
        actor=staff, submit=True,
        files=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
        data={"enterprise": enterprise, "visited_at": timezone.now(), "mode": "on_site",
              "purpose": "了解情况"})
    invitation, token = account_services.invitation_create(
        actor=coordinator, enterprise=enterprise, name="新同事")
    account_request = account_services.account_request_submit(
        credit_code=enterprise.credit_code, enterprise_name=enterprise.name,
        contact_name="赵六", email="zhao@example.com")
    users = {"anonymous": None, "firm": firm, "firm2": firm2, "staff": staff,
             "officer": officer, "other_officer": other_officer, "head": head,
             "coordinator": coordinator, "leader": leader, "editor": editor}
    return SimpleNamespace(
        a=enterprise, b=enterprise_b, task=task, attachment=attachment, approval=approval,
        visit=visit, visit_file=visit.attachments.get(), invitation=invitation, token=token,
        account_request=account_request, colleague=colleague, users=users, contact=contact)


class _Rollback(Exception):
    pass


def _status(response) -> object:
    if response.status_code == 302:
        return LOGIN if response.url.startswith(reverse("login") + "?next=") else GO
    return response.status_code


def _answers(world, method, url, data) -> dict[str, object]:
    """What each user gets, each request in a savepoint rolled back after it."""
    seen = {}
    for who in USERS:
        try:
            with transaction.atomic():
                client = Client()
                if world.users[who] is not None:
                    client.force_login(world.users[who])
                response = getattr(client, method)(url, data or {})
                seen[who] = _status(response)
                raise _Rollback
        except _Rollback:
            pass
    return seen


def test_every_url_pattern_is_in_the_table():
    routes = _project_routes()
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert not missing, f"URL patterns with no row in the matrix: {missing}"
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


@pytest.mark.parametrize("route", sorted(TABLE))
def test_each_user_gets_the_expected_answer(world, route):
    method, url, data, row = TABLE[route]
    expected = dict(zip(USERS, row, strict=True))
    got = _answers(world, method, url(world), data)
    wrong = {who: (got[who], expected[who]) for who in USERS if got[who] != expected[who]}
    assert not wrong, f"{route}: user: (got, expected) {wrong}"


@pytest.mark.parametrize("url", ["/admin/", "/cms-admin/", "/admin/approvals/task/",
                                 "/cms-admin/pages/"])
def test_non_staff_users_cannot_enter_the_admins(world, url):
    """Anonymous users and firm users never get in; neither do desk staff
    without Django's ``is_staff`` (the Django admin) or Wagtail's access."""
    got = _answers(world, "get", url, None)
    for who in ("anonymous", "firm", "firm2", "staff", "officer", "leader"):
        assert got[who] != 200, (url, who, got[who])
