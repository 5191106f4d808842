"""The site root is the office's home page (Wagtail), open to everyone."""

import pytest

from cms.models import HomePage

pytestmark = pytest.mark.django_db


def test_the_root_serves_the_office_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    page = HomePage.objects.get()
    assert page.title in response.content.decode()
    assert "12345" in response.content.decode()
    assert b"Welcome to your new Wagtail site" not in response.content


def test_the_home_page_links_to_the_login(client):
    response = client.get("/")
    assert b'href="/accounts/login/"' in response.content
