import pytest
from django.contrib.auth.models import Group

from dashboard.roles import ROLE_PERMISSIONS


@pytest.mark.django_db
def test_role_groups_have_their_permissions():
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert sorted(p.codename for p in group.permissions.all()) == sorted(codenames)


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
