"""Coupons in the merchant admin: list, filter by status, void."""

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from loyalite.admin_scoping import CustomerCodeFilter, ReadOnlyOrgAdmin

from .models import Coupon, CouponStatus
from .services import void_coupon


class CouponStatusFilter(admin.SimpleListFilter):
    """Status as the customer sees it: an issued coupon past its expiry counts as expired."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return CouponStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == CouponStatus.ISSUED:
            return queryset.filter(status=CouponStatus.ISSUED, expires_at__gt=now)
        if value == CouponStatus.EXPIRED:
            return queryset.filter(
                Q(status=CouponStatus.EXPIRED) | Q(status=CouponStatus.ISSUED, expires_at__lte=now)
            )
        if value in (CouponStatus.REDEEMED, CouponStatus.VOID):
            return queryset.filter(status=value)
        return queryset


@admin.register(Coupon)
class CouponAdmin(ReadOnlyOrgAdmin):
    list_display = [
        "id",
        "name",
        "customer",
        "status_now",
        "issued_at",
        "expires_at",
        "redeemed_at",
    ]
    list_filter = [CouponStatusFilter, CustomerCodeFilter, "issued_at"]
    list_select_related = ["customer"]
    search_fields = ["customer__code__exact", "customer__email", "name"]
    date_hierarchy = "issued_at"
    # The token is what a POS redeems with, so the admin never shows it.
    fields = ["name", "customer", "campaign", "status", "issued_at", "expires_at", "redeemed_at"]
    readonly_fields = fields
    actions = ["void_selected"]

    @admin.display(description="status")
    def status_now(self, coupon: Coupon) -> str:
        return coupon.display_status

    def has_void_permission(self, request: HttpRequest) -> bool:
        return self._is_member(request)

    @admin.action(description="Void selected coupons", permissions=["void"])
    def void_selected(self, request: HttpRequest, queryset) -> None:
        count = 0
        for coupon in queryset.filter(status=CouponStatus.ISSUED):
            if void_coupon(coupon=coupon).status == CouponStatus.VOID:
                self.log_change(request, coupon, "Voided.")
                count += 1
        self.message_user(request, f"Voided {count} coupon(s).", messages.SUCCESS)
