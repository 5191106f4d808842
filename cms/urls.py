from django.urls import path

from . import views

app_name = "cms"
urlpatterns = [
    path("related/", views.related_pages_view, name="related-pages"),
    path("checklists/<int:page_id>/print.pdf", views.checklist_pdf_view,
         name="checklist-pdf"),
    path("pages/<int:page_id>/feedback/", views.feedback_create_view,
         name="feedback-create"),
]
