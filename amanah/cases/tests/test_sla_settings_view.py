"""The SLA settings page: two forms, one helper each; a refusal comes back next to its field
in the form that was sent (400) and changes nothing."""

import pytest
from django.test import Client

from amanah.cases.models import CaseCategory
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R

URL = "/cases/settings/"


@pytest.fixture
def client(make_user):
    return sign_in(Client(), make_user(R.ADMIN))


def test_a_refused_category_comes_back_next_to_its_field(client):
    before = set(CaseCategory.objects.values_list("code", flat=True))
    sent = {"form": "category", "code": "bukan kode!", "name": "Kategori", "active": "on"}
    response = client.post(URL, sent)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Kode kategori huruf/angka/garis bawah" in page and 'value="bukan kode!"' in page
    assert set(CaseCategory.objects.values_list("code", flat=True)) == before


def test_an_incomplete_policy_is_a_400_and_a_saved_category_a_303(client):
    assert client.post(URL, {"form": "policy", "priority": "HIGH"}).status_code == 400
    saved = client.post(URL, {"form": "category", "code": "UJI_1", "name": "Uji", "active": "on"})
    assert (saved.status_code, saved["Location"]) == (303, URL)
    assert CaseCategory.objects.get(code="UJI_1").name == "Uji"


def test_a_post_naming_neither_form_changes_nothing(client):
    before = CaseCategory.objects.count()
    assert client.post(URL, {"form": "lain", "code": "X"}).status_code == 400
    assert client.get(URL).status_code == 200 and CaseCategory.objects.count() == before
