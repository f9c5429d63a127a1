"""Customer background work: login-link emails and live balance pushes to the dashboard."""

from celery import shared_task
from django.core.mail import send_mail

from loyalite.models import Organization

from .models import Customer
from .push import push_to_customer
from .services import LOGIN_LINK_TTL, find_active_customer, issue_login_link


@shared_task(ignore_result=True)
def send_login_link(organization_id: int, email: str) -> None:
    """Emails a login link if the address belongs to a customer; silently does nothing if not."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    customer = find_active_customer(organization=organization, email=email)
    if customer is None:
        return
    url = issue_login_link(customer=customer)
    minutes = int(LOGIN_LINK_TTL.total_seconds() // 60)
    send_mail(
        subject=f"Your {organization.name} loyalty card",
        message=(
            f"Hello{' ' + customer.name if customer.name else ''},\n\n"
            f"Open this link to see your {organization.name} loyalty card:\n\n{url}\n\n"
            f"It works once and expires in {minutes} minutes. "
            "If you did not ask for it, ignore this email.\n"
        ),
        from_email=None,
        recipient_list=[customer.email],
    )


@shared_task(ignore_result=True)
def push_balances(customer_id: int) -> None:
    """Sends the customer's balances, read fresh after the commit, to their open dashboards."""
    balances = (
        Customer.objects.filter(pk=customer_id).values("point_balance", "stamp_count").first()
    )
    if balances is None:
        return
    push_to_customer(
        customer_id,
        {
            "type": "balance.changed",
            "points": balances["point_balance"],
            "stamps": balances["stamp_count"],
        },
    )
