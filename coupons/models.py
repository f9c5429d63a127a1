"""Reward coupons issued when a stamp card fills."""

import secrets

from django.db import models
from django.utils import timezone

from customers.models import Customer
from loyalite.models import Organization

COUPON_TOKEN_PREFIX = "cq_"


def new_coupon_token() -> str:
    return COUPON_TOKEN_PREFIX + secrets.token_urlsafe(24)


class CouponStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    REDEEMED = "redeemed", "Redeemed"
    EXPIRED = "expired", "Expired"
    VOID = "void", "Voided"


class Coupon(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="coupons")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="coupons")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=100)
    token = models.CharField(max_length=64, unique=True, default=new_coupon_token, editable=False)
    status = models.CharField(
        max_length=10, choices=CouponStatus.choices, default=CouponStatus.ISSUED
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def is_past_expiry(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def display_status(self) -> str:
        if self.status == CouponStatus.ISSUED and self.is_past_expiry():
            return CouponStatus.EXPIRED
        return self.status
