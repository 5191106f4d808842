from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("", views.letter_list, name="letter-list"),
    path("new/<int:enterprise_pk>/", views.letter_create_view, name="letter-create"),
    path("<int:pk>/", views.letter_detail, name="letter-detail"),
    path("<int:pk>/download/", views.letter_download, name="letter-download"),
    path("verify/<str:token>/", views.letter_verify, name="verify"),
    path("batches/", views.batch_list, name="batch-list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/cancel/", views.batch_cancel_view, name="batch-cancel"),
    path("batches/<int:pk>/resume/", views.batch_resume_view, name="batch-resume"),
    path("batches/<int:pk>/letters.zip", views.batch_download, name="batch-download"),
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/<int:pk>/download/", views.bulletin_download, name="bulletin-download"),
]
