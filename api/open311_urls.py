"""Open311 GeoReport v2 under /open311/v2/: ``.json`` or ``.xml`` on every path."""

from django.urls import path, re_path, register_converter

from . import open311

register_converter(open311.FormatConverter, "fmt311")

app_name = "open311"

urlpatterns = [
    path("services.<fmt311:fmt>", open311.ServiceList.as_view(), name="service-list"),
    path("services/<slug:code>.<fmt311:fmt>", open311.ServiceDefinition.as_view(),
         name="service-definition"),
    path("requests.<fmt311:fmt>", open311.RequestListCreate.as_view(), name="request-list"),
    path("requests/<int:pk>.<fmt311:fmt>", open311.RequestDetail.as_view(),
         name="request-detail"),
    # anything else is a GeoReport error, not the site's HTML page
    re_path(r"^(?P<rest>[\s\S]*)$", open311.not_found, name="not-found"),
]
