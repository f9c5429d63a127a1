"""Key pairs (create, revoke, authenticate) and the org's card templates as /v1 sees them."""

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, CardType
from loyalite.models import Organization, hash_api_key

from .errors import TemplateNotFound
from .models import PUBLIC_PREFIX, SECRET_PREFIX, KeyKind, KeyPair, KrewardSettings

PREFIX_DISPLAY_CHARS = 4


@dataclass(frozen=True)
class IssuedPair:
    pair: KeyPair
    public_key: str  # both raw keys are shown once, never stored
    secret_key: str


@dataclass(frozen=True)
class AuthenticatedKey:
    pair: KeyPair
    kind: str

    @property
    def organization(self) -> Organization:
        return self.pair.organization

    @property
    def is_secret(self) -> bool:
        return self.kind == KeyKind.SECRET


def _display(raw_key: str, prefix: str) -> str:
    return raw_key[: len(prefix) + PREFIX_DISPLAY_CHARS]


def create_key_pair(
    *, organization: Organization, label: str = "", origins: list[str] | None = None
) -> IssuedPair:
    public_key, secret_key = KeyPair.generate(KeyKind.PUBLIC), KeyPair.generate(KeyKind.SECRET)
    pair = KeyPair.objects.create(
        organization=organization,
        label=label,
        public_prefix=_display(public_key, PUBLIC_PREFIX),
        public_hash=hash_api_key(public_key),
        secret_prefix=_display(secret_key, SECRET_PREFIX),
        secret_hash=hash_api_key(secret_key),
        allowed_origins="\n".join(origins or []),
    )
    return IssuedPair(pair, public_key, secret_key)


def revoke_key_pair(*, pair: KeyPair) -> None:
    KeyPair.objects.filter(pk=pair.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate(raw_key: str) -> AuthenticatedKey | None:
    """The active pair this raw key belongs to, and which half it is; counts the request."""
    if raw_key.startswith(PUBLIC_PREFIX):
        kind, field = KeyKind.PUBLIC, "public_hash"
    elif raw_key.startswith(SECRET_PREFIX):
        kind, field = KeyKind.SECRET, "secret_hash"
    else:
        return None
    pair = (
        KeyPair.objects.active()
        .select_related("organization")
        .filter(**{field: hash_api_key(raw_key)})
        .first()
    )
    if pair is None:
        return None
    KeyPair.objects.filter(pk=pair.pk).update(
        last_used_at=timezone.now(), request_count=F("request_count") + 1
    )
    return AuthenticatedKey(pair, kind)


# --- templates ----------------------------------------------------------------------------
def templates_of(organization: Organization) -> list[Campaign]:
    """Active campaigns, the org's default first, else stamps before points."""
    campaigns = list(Campaign.objects.filter(organization=organization, active=True))
    default_id = (
        KrewardSettings.objects.filter(organization=organization)
        .values_list("default_template_id", flat=True)
        .first()
    )
    return sorted(
        campaigns,
        key=lambda c: (c.pk != default_id, c.card_type != CardType.STAMP, c.pk),
    )


def get_template(*, organization: Organization, template_id: uuid.UUID | None) -> Campaign:
    templates = templates_of(organization)
    if template_id is None:
        if not templates:
            raise TemplateNotFound()
        return templates[0]
    for campaign in templates:
        if campaign.uuid == template_id:
            return campaign
    raise TemplateNotFound()


@transaction.atomic
def set_default_template(*, organization: Organization, campaign: Campaign | None) -> None:
    KrewardSettings.objects.update_or_create(
        organization=organization, defaults={"default_template": campaign}
    )
