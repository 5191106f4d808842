from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.notification_read_view, name="notification-read"),
    path("read-all/", views.notification_read_all_view, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
]
