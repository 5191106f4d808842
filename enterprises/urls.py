from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("", views.enterprise_list, name="enterprise-list"),
    path("new/", views.enterprise_create_view, name="enterprise-create"),
    path("<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("<int:pk>/edit/", views.enterprise_update_view, name="enterprise-update"),
    path("<int:pk>/accounts/", views.enterprise_accounts, name="enterprise-accounts"),
    path("account-requests/<int:pk>/decide/", views.account_request_decide_view,
         name="account-request-decide"),
    path("import/", views.enterprise_import_view, name="enterprise-import"),
    path("import/<slug:token>/confirm/", views.enterprise_import_confirm_view,
         name="enterprise-import-confirm"),
]
