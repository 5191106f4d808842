from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("", views.my_week, name="my-week"),
    path("new/", views.visit_create_view, name="visit-create"),
    path("all/", views.visit_list, name="visit-list"),
    path("coverage/", views.coverage, name="coverage"),
    path("report/", views.weekly_report, name="weekly-report"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
    path("<int:pk>/edit/", views.visit_update_view, name="visit-update"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
]
