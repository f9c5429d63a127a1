"""Who may open the till: merchant users of a shop; everyone else is sent away."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from .till_support import PASSWORD, Till, merchant


def test_anonymous_is_sent_to_the_login_page(db):
    response = Client().get("/till/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/till/"


def test_anonymous_page_calls_are_refused_with_json(db):
    response = Client().post("/till/find", {"scan": "123456"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_staff_logs_in_at_the_admin_and_lands_on_the_till(alice):
    user = merchant(alice.org, email="cashier@alice.test")
    client = Client()
    response = client.post(
        "/admin/login/?next=/till/",
        {"username": user.username, "password": PASSWORD, "next": "/till/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/till/"
    page = client.get("/till/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alice" in html
    assert 'id="scan"' in html
    assert "cashier@alice.test" in html


def test_owner_sees_the_till_too(alice):
    till = Till.for_org(alice.org, role="owner")
    assert till.client.get("/till/").status_code == 200


def test_a_user_without_membership_is_refused(db):
    user = get_user_model().objects.create_user("drifter", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(user)
    page = client.get("/till/")
    assert page.status_code == 403
    assert "not linked to a shop" in page.content.decode()
    api = client.post("/till/find", {"scan": "123456"})
    assert api.status_code == 403
    assert api.json()["error"] == "not_a_merchant"


def test_a_superuser_without_a_shop_is_refused(db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    assert client.get("/till/").status_code == 403


def test_a_deactivated_member_is_logged_out(alice):
    till = Till.for_org(alice.org)
    till.user.is_active = False
    till.user.save()
    assert till.client.get("/till/").status_code == 302


@pytest.mark.parametrize("path", ["/till/find", "/till/earn", "/till/redeem", "/till/coupon"])
def test_actions_only_accept_post(alice, path):
    till = Till.for_org(alice.org)
    assert till.client.get(path).status_code == 405


def test_actions_need_the_csrf_token(alice):
    user = merchant(alice.org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/till/find", {"scan": "123456"}).status_code == 403
