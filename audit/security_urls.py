"""Every user's security pages and the security administrator's, at /security/."""

from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("two-factor/", views.two_factor, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("lockouts/", views.lockout_list, name="lockout-list"),
    path("lockouts/unlock/", views.lockout_unlock, name="lockout-unlock"),
    path("contacts/<int:pk>/", views.contact_reveal, name="contact-reveal"),
    path("enterprises/<int:pk>/legal-representative/", views.enterprise_reveal,
         name="enterprise-id-reveal"),
    path("obstacles/<int:pk>/contact/", views.obstacle_contact_reveal,
         name="obstacle-contact-reveal"),
]
