"""The customer dashboard: one-time login links, /me/ and its state API, profile and privacy."""

import datetime
import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from campaigns.models import Campaign, CardType
from coupons.models import Coupon, CouponStatus
from fraud.models import Challenge
from fraud.services import pending_challenges
from loyalite.models import Organization
from loyalite.tasks import enqueue_on_commit

from .forms import EraseForm, LoginLinkRequestForm, ProfileForm
from .models import Customer
from .push import CUSTOMER_SESSION_KEY
from .qr import png_data_uri
from .services import (
    LOGIN_LINK_TTL,
    current_qr,
    erase_customer,
    export_data,
    normalize_email,
    spend_login_token,
    update_profile,
)

NOT_AUTHENTICATED = "not_authenticated"
COUPONS_SHOWN = 20
LOGIN_LINK_EMAILS_PER_ADDRESS = "5/h"
STAMP_DOTS_PER_ROW = 8


# --- helpers ------------------------------------------------------------------------------
def _iso(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def session_customer(request: HttpRequest) -> Customer | None:
    """The customer this browser session is logged in as (never erased), or None."""
    customer_id = request.session.get(CUSTOMER_SESSION_KEY)
    if not customer_id:
        return None
    customer = (
        Customer.objects.select_related("organization")
        .filter(pk=customer_id, erased_at__isnull=True)
        .first()
    )
    if customer is None:
        request.session.flush()
    return customer


def _log_in(request: HttpRequest, customer: Customer) -> None:
    request.session.cycle_key()  # a new session id at login: no fixation
    request.session[CUSTOMER_SESSION_KEY] = customer.pk


def _stamp_goal(organization: Organization) -> int | None:
    campaign = Campaign.objects.filter(organization=organization, card_type=CardType.STAMP).first()
    return campaign.max_stamps if campaign else None


def _coupon_row(coupon: Coupon) -> dict:
    status = coupon.display_status
    return {
        "id": coupon.pk,
        "name": coupon.name,
        "qr_token": coupon.token,
        "status": status,
        "issued_at": _iso(coupon.issued_at),
        "expires_at": _iso(coupon.expires_at),
        "image": png_data_uri(coupon.token) if status == CouponStatus.ISSUED else None,
    }


def _challenge_row(challenge: Challenge) -> dict:
    return {
        "challenge_id": str(challenge.pk),
        "pin": challenge.pin,
        "action": challenge.action,
        "amount": challenge.amount,
        "expires_at": _iso(challenge.expires_at),
        "remaining_attempts": challenge.attempts_left,
    }


def dashboard_state(customer: Customer, challenges: list[Challenge] | None = None) -> dict:
    """The body of GET /me/api/state (API.md, "Customer dashboard")."""
    payload, expires = current_qr(customer=customer)
    if challenges is None:
        challenges = list(pending_challenges(customer=customer))
    coupons = customer.coupons.order_by("-issued_at", "-id")[:COUPONS_SHOWN]
    return {
        "customer_code": customer.code,
        "masked_email": customer.masked_email,
        "name": customer.name,
        "points": customer.point_balance,
        "stamps": customer.stamp_count,
        "stamp_goal": _stamp_goal(customer.organization),
        "preset": customer.organization.preset,
        "qr": {
            "payload": payload,
            "expires_at": _iso(datetime.datetime.fromtimestamp(expires, datetime.UTC)),
            "image": png_data_uri(payload),
        },
        "coupons": [_coupon_row(coupon) for coupon in coupons],
        "challenges": [_challenge_row(challenge) for challenge in challenges],
    }


def stamp_columns(goal: int) -> int:
    """Rows of at most eight stamp dots, as even as possible (10 -> 5 + 5)."""
    rows = max(1, math.ceil(goal / STAMP_DOTS_PER_ROW))
    return max(1, math.ceil(goal / rows))


def _email_key(group: str, request: HttpRequest) -> str:
    return normalize_email(request.POST.get("email", ""))


# --- login --------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@ratelimit(key=_email_key, rate=LOGIN_LINK_EMAILS_PER_ADDRESS, method="POST", block=False)
def login(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The org's login page: asks for an emailed link without revealing who is a customer."""
    organization = get_object_or_404(Organization, slug=org_slug)
    form = LoginLinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not getattr(request, "limited", False):
            # The task looks the address up, so this answer and its timing are the same
            # whether or not the address belongs to a customer.
            enqueue_on_commit(
                "customers.tasks.send_login_link", organization.pk, form.cleaned_data["email"]
            )
        context = {
            "organization": organization,
            "email": form.cleaned_data["email"],
            "minutes": int(LOGIN_LINK_TTL.total_seconds() // 60),
        }
        return render(request, "customers/login_sent.html", context)
    return render(request, "customers/login.html", {"organization": organization, "form": form})


@require_GET
@never_cache
def login_link(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    """Opening a one-time link logs the customer in and spends it."""
    organization = get_object_or_404(Organization, slug=org_slug)
    customer = spend_login_token(organization=organization, raw_token=token)
    if customer is None:
        return render(request, "customers/link_invalid.html", {"organization": organization})
    _log_in(request, customer)
    return redirect("customers:dashboard")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    customer = session_customer(request)
    request.session.flush()
    if customer is None:
        return redirect("customers:dashboard")
    messages.info(request, "You are logged out.")
    return redirect("customers:login", org_slug=customer.organization.slug)


# --- the dashboard ------------------------------------------------------------------------
@require_GET
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    customer = session_customer(request)
    if customer is None:
        return render(request, "customers/signed_out.html")
    challenges = list(pending_challenges(customer=customer))
    state = dashboard_state(customer, challenges)
    goal = state["stamp_goal"] or 0
    context = {
        "customer": customer,
        "organization": customer.organization,
        "state": state,
        "stamp_dots": [index < customer.stamp_count for index in range(goal)],
        "stamp_columns": stamp_columns(goal),
        "challenges": [
            {**_challenge_row(challenge), "description": challenge.description}
            for challenge in challenges
        ],
        "rotating": state["preset"] == "strict",
    }
    return render(request, "customers/dashboard.html", context)


@require_GET
@never_cache
def state(request: HttpRequest) -> JsonResponse:
    customer = session_customer(request)
    if customer is None:
        return JsonResponse({"error": NOT_AUTHENTICATED}, status=401)
    return JsonResponse(dashboard_state(customer))


# --- profile and privacy ------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    customer = session_customer(request)
    if customer is None:
        return redirect("customers:dashboard")
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            update_profile(customer=customer, **form.cleaned_data)
            messages.success(request, "Saved.")
            return redirect("customers:profile")
    else:
        form = ProfileForm(
            initial={
                "name": customer.name,
                "phone": customer.phone,
                "consent_marketing": customer.consent_marketing,
            }
        )
    return _render_profile(request, customer, form, EraseForm())


def _render_profile(request, customer, form, erase_form, status: int = 200) -> HttpResponse:
    context = {
        "customer": customer,
        "organization": customer.organization,
        "form": form,
        "erase_form": erase_form,
    }
    return render(request, "customers/profile.html", context, status=status)


@require_GET
@never_cache
def export(request: HttpRequest) -> HttpResponse:
    """Download my data: the profile, the ledger and the coupons as JSON."""
    customer = session_customer(request)
    if customer is None:
        return JsonResponse({"error": NOT_AUTHENTICATED}, status=401)
    response = JsonResponse(export_data(customer=customer), json_dumps_params={"indent": 2})
    filename = f"{customer.organization.slug}-{customer.code}-data.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def erase(request: HttpRequest) -> HttpResponse:
    """Delete my account: personal data goes, the anonymised ledger stays; logs out."""
    customer = session_customer(request)
    if customer is None:
        return redirect("customers:dashboard")
    erase_form = EraseForm(request.POST)
    if not erase_form.is_valid():
        form = ProfileForm(initial={"name": customer.name, "phone": customer.phone})
        return _render_profile(request, customer, form, erase_form, status=400)
    organization = customer.organization
    erase_customer(customer=customer)
    request.session.flush()
    return render(request, "customers/erased.html", {"organization": organization})
