from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("tables.xlsx", views.tables_export, name="tables-export"),
    path("ledger.xlsx", views.ledger_export, name="ledger-export"),
]
