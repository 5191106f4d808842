from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("tasks/<int:pk>/appeal/", views.appeal_create_view, name="appeal-create"),
    path("appeals/", views.appeal_list, name="appeal-list"),
    path("appeals/<int:pk>/decide/", views.appeal_decide_view, name="appeal-decide"),
    path("obstacles/<int:pk>/merge/", views.obstacle_merge_view, name="obstacle-merge"),
    path("silent/", views.silent_list, name="silent-list"),
    path("chase/", views.chase_list, name="chase-list"),
    path("chase/<int:pk>/download/", views.chase_download, name="chase-download"),
    path("samples/", views.sample_list, name="sample-list"),
    path("samples/<int:pk>/", views.sample_detail, name="sample-detail"),
    path("samples/items/<int:pk>/record/", views.sample_record_view, name="sample-record"),
    path("issues/", views.issue_list, name="issue-list"),
    path("issues/new/", views.issue_create_view, name="issue-create"),
    path("issues/<int:pk>/", views.issue_detail, name="issue-detail"),
    path("report/", views.report_view, name="report"),
    path("report.pdf", views.report_pdf_view, name="report-pdf"),
]
