"""Point and stamp campaigns, and the append-only ledger that is the truth for balances."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.models import Customer
from loyalite.models import ApiKey, Organization


class CardType(models.TextChoices):
    POINT = "point", "Points"
    STAMP = "stamp", "Stamps"


class RewardMode(models.TextChoices):
    COUPON = "coupon", "Issue a coupon when the card fills"
    CLAIM = "claim", "Claim the final tier"


class Campaign(models.Model):
    """An org has one point campaign and one stamp campaign (Kreward calls them templates)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaigns"
    )
    card_type = models.CharField(max_length=8, choices=CardType.choices)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    earn_ratio = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=Decimal("1"),
        help_text="Points per unit of amount.",
    )
    max_stamps = models.PositiveIntegerField(default=10, help_text="Stamps that fill the card.")
    reward_name = models.CharField(max_length=100, default="Free Coffee")
    coupon_validity_days = models.PositiveIntegerField(default=30)
    reward_mode = models.CharField(
        max_length=8, choices=RewardMode.choices, default=RewardMode.COUPON
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "card_type"], name="one_campaign_per_card_type"
            ),
            models.CheckConstraint(
                condition=models.Q(max_stamps__gte=1), name="max_stamps_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(earn_ratio__gte=0), name="earn_ratio_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug}: {self.name}"


class Reason(models.TextChoices):
    EARN = "earn", "Earn"
    REDEEM = "redeem", "Redeem"
    CARD_FILLED = "card_filled", "Card filled (coupon issued)"
    ADJUST = "adjust", "Adjustment"
    CLAIM = "claim", "Tier claimed"


class Source(models.TextChoices):
    WEBHOOK = "webhook", "POS webhook API"
    API = "api", "/v1 API"
    MANUAL = "manual", "Manual (admin or till)"


class AppendOnlyError(Exception):
    pass


class LedgerEntry(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="ledger")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ledger")
    card_type = models.CharField(max_length=8, choices=CardType.choices)
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    external_id = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    coupon = models.ForeignKey("coupons.Coupon", null=True, blank=True, on_delete=models.PROTECT)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "card_type"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.card_type} {self.delta:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries are append-only")


class Tier(models.Model):
    """A reward a card reaches at a balance (Kreward's tiers); a stamp card's final tier is
    implicit (`at == max_stamps`, the campaign's reward), so rows here are the ones below it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tiers")
    at = models.PositiveIntegerField()
    reward = models.CharField(max_length=100)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "at"], name="one_tier_per_balance"),
            models.CheckConstraint(condition=models.Q(at__gte=1), name="tier_at_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.at}: {self.reward}"


class TierClaim(models.Model):
    """A tier a customer claimed in one loop of their card; stamp tiers re-arm on each loop."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tier_claims")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="claims")
    at = models.PositiveIntegerField()
    reward = models.CharField(max_length=100)
    loop = models.PositiveIntegerField(help_text="The card's loop the claim belongs to.")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="tier_claim")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "campaign", "at", "loop"], name="tier_claimed_once_per_loop"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.at} (loop {self.loop})"
