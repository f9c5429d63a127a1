"""The public sign-up page /join/<org_slug>/ that /v1/enroll hands out without an email."""

from django.core import mail

from customers.models import Customer

pytest_plugins = ["tests.kreward_support"]


FORM = {
    "email": "Jane@Example.com",
    "name": "Jane",
    "consent_terms": "on",
    "consent_privacy": "on",
}


def test_the_page_shows_the_orgs_form(kw_alice):
    page = kw_alice.client.get("/join/alice/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alice" in html and 'name="email"' in html and 'name="consent_terms"' in html


def test_a_new_customer_lands_on_their_dashboard(kw_alice):
    response = kw_alice.client.post("/join/alice/", FORM, follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    assert response.status_code == 200
    customer = Customer.objects.get(organization=kw_alice.org, email="jane@example.com")
    assert customer.name == "Jane"
    assert customer.consent_terms_at and customer.consent_privacy_at
    assert not customer.consent_marketing
    assert "Jane" in response.content.decode() or str(customer.code) in response.content.decode()


def test_consents_are_required(kw_alice):
    response = kw_alice.client.post("/join/alice/", {**FORM, "consent_privacy": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Customer.objects.exists()


def test_an_existing_email_gets_a_login_link_instead_of_the_card(
    kw_alice, django_capture_on_commit_callbacks
):
    kw_alice.customer(email="jane@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = kw_alice.client.post("/join/alice/", FORM)
    assert response.status_code == 200
    assert "already have a card" in response.content.decode()
    assert "_auth_user_id" not in kw_alice.client.session
    assert "customer" not in "".join(kw_alice.client.session.keys())
    dashboard = kw_alice.client.get("/me/")
    assert "jane@example.com" not in dashboard.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jane@example.com"]


def test_joining_one_org_does_not_touch_another(kw_alice, kw_bob):
    kw_bob.customer(email="jane@example.com")
    kw_alice.client.post("/join/alice/", FORM)
    assert Customer.objects.filter(organization=kw_alice.org, email="jane@example.com").exists()
    assert Customer.objects.filter(email="jane@example.com").count() == 2


def test_an_unknown_org_is_not_found(kw_alice):
    assert kw_alice.client.get("/join/nobody/").status_code == 404
