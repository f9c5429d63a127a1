"""The cashier terminal: one page, and JSON endpoints its script posts to (CSRF protected).

Each endpoint parses a form, calls one till flow and answers with the new customer card
and the recent actions as HTML fragments, or an error code with a message for the cashier.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from fraud import services as fraud
from fraud.flows import Outcome
from loyalite.admin_scoping import is_owner, membership_of
from loyalite.api import client_ip
from loyalite.errors import DomainError

from . import flows
from .forms import CouponForm, EarnForm, FindForm, RedeemForm, customer_from_ref, customer_ref
from .messages import error_message, result_message

NOT_AUTHENTICATED = "not_authenticated"
NOT_A_MERCHANT = "not_a_merchant"
INVALID_FORM = "invalid_request"


def _is_merchant(request: HttpRequest) -> bool:
    """An active staff user with a shop; the shop is noted on the request for the access log."""
    user = request.user
    membership = membership_of(request)
    if not (user.is_active and user.is_staff and membership is not None):
        return False
    request.organization = membership.organization
    return True


def merchant_page(view: Callable) -> Callable:
    """Anonymous → the admin login (back here after); a user without a shop → 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?next={request.path}")
        if not _is_merchant(request):
            return render(request, "till/not_a_merchant.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def merchant_api(view: Callable) -> Callable:
    """The page's JSON endpoints: 401/403 as JSON, domain errors as the cashier's message."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _error(NOT_AUTHENTICATED, 401, "Your session has ended. Log in again.")
        if not _is_merchant(request):
            return _error(NOT_A_MERCHANT, 403, error_message(NOT_A_MERCHANT, {}))
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            body = error.body()
            body["message"] = error_message(error.code, body, default=error.message)
            return JsonResponse(body, status=error.status, headers=error.headers or None)

    return require_POST(never_cache(wrapped))


def _error(code: str, status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _invalid(form) -> JsonResponse:
    fields = {name: errors[0] for name, errors in form.errors.items()}
    return _error(INVALID_FORM, 422, " ".join(fields.values()), fields=fields)


def _actor(request: HttpRequest) -> fraud.Actor:
    return fraud.Actor(user=request.user, client_ip=client_ip(request))


def _organization(request: HttpRequest):
    return membership_of(request).organization


def _card(request: HttpRequest, customer: Customer, coupon=None) -> str:
    organization = customer.organization
    goal = flows.stamp_goal(organization=organization)
    context = {
        "customer": customer,
        "ref": customer_ref(customer),
        "scanned_coupon": coupon,
        "coupons": flows.active_coupons(customer=customer),
        "stamp_goal": goal,
        "stamp_dots": [index < customer.stamp_count for index in range(goal)],
        "organization": organization,
    }
    return render_to_string("till/_card.html", context, request=request)


def _recent_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "entries": flows.recent_actions(organization=_organization(request)),
        "owner": is_owner(request),
    }


def _recent(request: HttpRequest) -> str:
    return render_to_string("till/_recent.html", _recent_context(request), request=request)


def _done(request: HttpRequest, outcome: Outcome, customer: Customer) -> JsonResponse:
    customer.refresh_from_db()
    return JsonResponse(
        {
            "result": outcome.body,
            "replayed": outcome.replayed,
            "message": result_message(outcome.body, replayed=outcome.replayed),
            "card": _card(request, customer),
            "recent": _recent(request),
        }
    )


@require_GET
@never_cache
@merchant_page
def home(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    context = {
        "organization": membership.organization,
        "membership": membership,
        **_recent_context(request),
    }
    return render(request, "till/home.html", context)


@merchant_api
def find(request: HttpRequest) -> JsonResponse:
    form = FindForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    found = flows.find(
        organization=_organization(request),
        actor=_actor(request),
        scanned=form.cleaned_data["scan"],
    )
    return JsonResponse({"card": _card(request, found.customer, found.coupon)})


@merchant_api
def earn(request: HttpRequest) -> JsonResponse:
    form = EarnForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    organization = _organization(request)
    params = form.cleaned_data
    customer = customer_from_ref(params["customer"], organization)
    outcome = flows.earn(
        organization=organization,
        actor=_actor(request),
        customer=customer,
        card_type=params["card_type"],
        amount=params["amount"],
        request_id=params["request_id"],
        pin=params["pin"],
    )
    return _done(request, outcome, customer)


@merchant_api
def redeem(request: HttpRequest) -> JsonResponse:
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    organization = _organization(request)
    params = form.cleaned_data
    customer = customer_from_ref(params["customer"], organization)
    outcome = flows.redeem(
        organization=organization,
        actor=_actor(request),
        customer=customer,
        card_type=params["card_type"],
        value=params["value"],
        request_id=params["request_id"],
        pin=params["pin"],
    )
    return _done(request, outcome, customer)


@merchant_api
def redeem_coupon(request: HttpRequest) -> JsonResponse:
    form = CouponForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    params = form.cleaned_data
    outcome, customer = flows.redeem_coupon(
        organization=_organization(request),
        actor=_actor(request),
        token=params["token"],
        request_id=params["request_id"],
        pin=params["pin"],
    )
    return _done(request, outcome, customer)
