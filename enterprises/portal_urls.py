from django.urls import path

from . import portal

app_name = "portal"

urlpatterns = [
    path("", portal.portal_home, name="home"),
    path("switch/<int:pk>/", portal.enterprise_switch_view, name="enterprise-switch"),
    path("obstacles/", portal.obstacle_list, name="obstacle-list"),
    path("obstacles/new/", portal.obstacle_create_view, name="obstacle-create"),
    path("obstacles/<int:pk>/", portal.obstacle_detail, name="obstacle-detail"),
    path("obstacles/<int:pk>/rate/", portal.obstacle_rate_view, name="obstacle-rate"),
    path("obstacles/<int:pk>/dispute/", portal.obstacle_dispute_view, name="obstacle-dispute"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment-download"),
    path("letters/", portal.letter_list, name="letter-list"),
    path("letters/<int:pk>/download/", portal.letter_download, name="letter-download"),
    path("members/", portal.member_list, name="member-list"),
    path("members/<int:pk>/remove/", portal.member_remove_view, name="member-remove"),
    path("invitations/<int:pk>/revoke/", portal.invitation_revoke_view,
         name="invitation-revoke"),
    path("invite/<str:token>/", portal.invitation_accept, name="invitation-accept"),
    path("request-account/", portal.account_request_view, name="account-request"),
]
