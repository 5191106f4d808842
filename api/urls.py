"""REST API v1, its OpenAPI schema and interactive docs, under /api/."""

from django.urls import path, re_path

from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/obstacles/", views.ObstacleListCreate.as_view(), name="obstacle-list"),
    path("v1/obstacles/<int:pk>/", views.ObstacleDetail.as_view(), name="obstacle-detail"),
    path("v1/obstacles/ref/<str:external_ref>/", views.ObstacleByRef.as_view(),
         name="obstacle-by-ref"),
    path("v1/categories/", views.CategoryList.as_view(), name="category-list"),
    path("v1/enterprises/", views.EnterpriseLookup.as_view(), name="enterprise-lookup"),
    path("v1/webhook/", views.WebhookView.as_view(), name="webhook"),
    # anything else under /api/ is a JSON 404, not the site's HTML page
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found, name="not-found"),
]
