"""A shop's till never opens, shows or changes another shop's customers or coupons."""

from campaigns.services import get_campaign
from coupons.services import issue_coupon
from customers.services import current_qr
from till.forms import customer_ref

from .till_support import Till


def test_alice_cannot_open_bobs_customer_by_code(alice, bob):
    bob.customer(code=555555)
    response = Till.for_org(alice.org).find("555555")
    assert response.status_code == 404
    assert response.json()["error"] == "customer_not_found"


def test_alice_cannot_open_bobs_customer_by_qr(alice, bob):
    payload, _ = current_qr(customer=bob.customer())
    response = Till.for_org(alice.org).find(payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_qr"
    assert "card" not in response.json()


def test_alice_cannot_open_or_redeem_bobs_coupon(alice, bob):
    customer = bob.customer()
    coupon = issue_coupon(
        customer=customer, campaign=get_campaign(organization=bob.org, card_type="stamp")
    )
    till = Till.for_org(alice.org)
    assert till.find(coupon.token).json()["error"] == "coupon_not_found"
    response = till.coupon(coupon.token)
    assert response.status_code == 404
    assert response.json()["error"] == "coupon_not_found"
    coupon.refresh_from_db()
    assert coupon.status == "issued"


def test_alice_cannot_act_on_a_card_opened_at_bobs_till(alice, bob):
    customer = bob.customer(point_balance=100)
    bobs_ref = customer_ref(customer)
    till = Till.for_org(alice.org)
    for response in (till.earn(bobs_ref, "10"), till.redeem(bobs_ref, 10)):
        assert response.status_code == 404
        assert response.json()["error"] == "customer_not_found"
    customer.refresh_from_db()
    assert customer.point_balance == 100


def test_a_forged_card_ref_is_refused(alice):
    customer = alice.customer()
    response = Till.for_org(alice.org).earn(f"[{alice.org.pk},{customer.pk}]:forged", "10")
    assert response.status_code == 404


def test_alices_till_does_not_list_bobs_actions(alice, bob):
    bobs_till = Till.for_org(bob.org)
    bob_customer = bob.customer(email="zeynep@bob.test")
    bobs_till.earn(bobs_till.open(current_qr(customer=bob_customer)[0]), "99")
    page = Till.for_org(alice.org).client.get("/till/").content.decode()
    assert "z***@bob.test" not in page
    assert "No till actions yet." in page
