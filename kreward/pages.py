"""Customer-facing pages of the /v1 surface: the public sign-up page and the wallet cards."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from campaigns import cards
from campaigns.models import CardType
from customers.qr import png_data_uri
from customers.services import LOGIN_LINK_TTL, current_qr, enroll_customer, issue_login_link
from loyalite.models import Organization, Preset
from loyalite.tasks import enqueue_on_commit

from . import passes, wallet
from .forms import JoinForm

JOIN_SOURCE = "api"  # the public sign-up page is part of the /v1 surface


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Sign-up: a new customer lands on their dashboard; an existing email gets a login link
    by email instead, so typing someone's address never opens their card."""
    organization = get_object_or_404(Organization, slug=org_slug)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer, is_new = enroll_customer(
            organization=organization,
            email=data["email"],
            name=data["name"],
            consent_terms=data["consent_terms"],
            consent_privacy=data["consent_privacy"],
            consent_marketing=data["consent_marketing"],
            source=JOIN_SOURCE,
        )
        if is_new:
            return redirect(issue_login_link(customer=customer))
        enqueue_on_commit("customers.tasks.send_login_link", organization.pk, customer.email)
        context = {
            "organization": organization,
            "email": customer.email,
            "minutes": int(LOGIN_LINK_TTL.total_seconds() // 60),
        }
        return render(request, "kreward/join_existing.html", context)
    return render(request, "kreward/join.html", {"organization": organization, "form": form})


def _card_or_404(token: str) -> wallet.WalletCard:
    card = wallet.card_by_link_token(token)
    if card is None or card.customer.erased_at is not None:
        raise Http404("unknown or revoked card")
    return card


@require_GET
@never_cache
def web_card(request: HttpRequest, token: str) -> HttpResponse:
    """The card behind a wallet link when no wallet is configured: balance, tiers, scan QR."""
    card = _card_or_404(token)
    customer, campaign = card.customer, card.campaign
    tiers = cards.tiers_of(campaign)
    current = cards.balance_of(customer, campaign)
    claimed = set(cards.redeemed_tiers(customer=customer, campaign=campaign))
    rotating = card.organization.preset == Preset.STRICT
    payload, refresh_at = (
        current_qr(customer=customer) if rotating else (wallet.scan_token(card), None)
    )
    context = {
        "organization": card.organization,
        "customer": customer,
        "campaign": campaign,
        "balance": current,
        "goal": cards.goal_of(campaign, tiers),
        "unit": "points" if campaign.card_type == CardType.POINT else "stamps",
        "tiers": [
            {
                "at": t.at,
                "reward": t.reward,
                "reached": current >= t.at,
                "redeemed": t.at in claimed,
            }
            for t in tiers
        ],
        "qr_image": png_data_uri(payload),
        "rotating": rotating,
        "refresh_seconds": 30,
        "refresh_at": refresh_at,
    }
    return render(request, "kreward/card.html", context)


@require_GET
@never_cache
def apple_pass(request: HttpRequest, token: str) -> HttpResponse:
    card = _card_or_404(token)
    config = wallet.apple_config()
    if config is None:
        return redirect(wallet.web_card_url(card))
    return passes.pkpass_response(card=card, config=config)


@require_GET
@never_cache
def google_save(request: HttpRequest, token: str) -> HttpResponse:
    card = _card_or_404(token)
    config = wallet.google_config()
    if config is None:
        return redirect(wallet.web_card_url(card))
    return HttpResponseRedirect(passes.google_save_url(card=card, config=config))
