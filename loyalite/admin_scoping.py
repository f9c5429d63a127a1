"""Tenant scoping for Django admin: a merchant user sees and changes only their org's rows.

Every merchant-facing ModelAdmin subclasses OrgScopedAdmin and names the lookup path from
its model to the Organization in `org_path`. Superusers see every org.
"""

from django.contrib import admin
from django.http import HttpRequest

from .models import Membership, Organization


def membership_of(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "_membership", False)
    if cached is False:
        cached = Membership.objects.select_related("organization").filter(user=user).first()
        request._membership = cached
    return cached


def org_of(request: HttpRequest) -> Organization | None:
    membership = membership_of(request)
    return membership.organization if membership else None


def is_owner(request: HttpRequest) -> bool:
    membership = membership_of(request)
    return request.user.is_superuser or (
        membership is not None and membership.role == Membership.Role.OWNER
    )


class OrgScopedAdmin(admin.ModelAdmin):
    org_path = "organization"
    owner_only_writes = False  # settings and keys: staff may look, only owners change

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        org = org_of(request)
        if org is None:
            return queryset.none()
        return queryset.filter(**{self.org_path: org})

    def _is_member(self, request: HttpRequest) -> bool:
        return request.user.is_active and (request.user.is_superuser or org_of(request) is not None)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_member(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_member(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._can_write(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._can_write(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _can_write(self, request: HttpRequest) -> bool:
        if not self._is_member(request):
            return False
        return is_owner(request) if self.owner_only_writes else True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices in forms come only from the user's org."""
        org = org_of(request)
        if org is not None and not request.user.is_superuser:
            related = db_field.related_model
            if related is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=org.pk)
            elif any(f.name == "organization" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(organization=org)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyOrgAdmin(OrgScopedAdmin):
    """Append-only records (ledger, audit): list and view, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
