"""Tenant scoping for Django admin: a merchant user sees and changes only their org's rows.

Every merchant-facing ModelAdmin subclasses OrgScopedAdmin and names the lookup path from
its model to the Organization in `org_path` ("" for the Organization itself). Superusers
see every org. Merchant users are `is_staff` users with a Membership; they need no Django
model permissions: membership and role decide.

What the scoping covers: the changelist (and its popups for raw-id lookups), search, list
filters' choices, date hierarchy, actions (they get the scoped queryset), raw object URLs
(change, delete, history and any `<object_id>/...` view built on `get_object`: 404 for
another org's object), autocomplete (it searches the remote admin's scoped queryset) and
the choices of every foreign key in forms and inlines.
"""

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse

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


def is_member(request: HttpRequest) -> bool:
    """An active superuser, or an active staff user with a Membership."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.is_staff and org_of(request) is not None)


def scope_to_org(queryset: models.QuerySet, org_path: str, org: Organization) -> models.QuerySet:
    if not org_path:
        return queryset.filter(pk=org.pk)
    return queryset.filter(**{org_path: org})


def related_in_org(model: type[models.Model], org: Organization, admin_site) -> models.QuerySet:
    """The rows of `model` that belong to `org`; none when the path to an org is unknown."""
    queryset = model._default_manager.all()
    model_admin = admin_site._registry.get(model)
    if isinstance(model_admin, OrgScopedMixin):
        return scope_to_org(queryset, model_admin.org_path, org)
    if model is Organization:
        return queryset.filter(pk=org.pk)
    if model is get_user_model():
        return queryset.filter(membership__organization=org)
    try:
        field = model._meta.get_field("organization")
    except FieldDoesNotExist:
        return queryset.none()
    if field.is_relation and field.related_model is Organization:
        return queryset.filter(organization=org)
    return queryset.none()


class OrgScopedMixin:
    """Permissions and form choices shared by scoped ModelAdmins and inlines."""

    org_path = "organization"
    owner_only_writes = False  # settings and keys: staff may look, only owners change

    def _is_member(self, request: HttpRequest) -> bool:
        return is_member(request)

    def _can_write(self, request: HttpRequest) -> bool:
        if not self._is_member(request):
            return False
        return is_owner(request) if self.owner_only_writes else True

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_member(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._can_write(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._can_write(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _scoped_choices(self, db_field, request: HttpRequest, kwargs: dict) -> dict:
        org = org_of(request)
        if request.user.is_superuser or "queryset" in kwargs:
            return kwargs
        if org is None:
            kwargs["queryset"] = db_field.related_model._default_manager.none()
        else:
            kwargs["queryset"] = related_in_org(db_field.related_model, org, self.admin_site)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices (selects, raw ids, autocompletes) come only from the user's org."""
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OrgScopedAdmin(OrgScopedMixin, admin.ModelAdmin):
    def scope(self, queryset: models.QuerySet, org: Organization) -> models.QuerySet:
        return scope_to_org(queryset, self.org_path, org)

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        org = org_of(request) if is_member(request) else None
        if org is None:
            return queryset.none()
        return self.scope(queryset, org)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        """Another org's (or a missing) object is a 404, never a redirect that confirms it."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_member(request)

    def get_list_filter(self, request: HttpRequest):
        """Related filters list only values present in the user's rows; no org filter."""
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                if not request.user.is_superuser and self._is_org_field(item):
                    continue
                if self._is_relation(item):
                    item = (item, admin.RelatedOnlyFieldListFilter)
            filters.append(item)
        return filters

    def _is_org_field(self, path: str) -> bool:
        return bool(self.org_path) and path in (self.org_path, self.org_path.split("__")[0])

    def _is_relation(self, path: str) -> bool:
        try:
            return bool(get_fields_from_path(self.model, path)[-1].is_relation)
        except (FieldDoesNotExist, NotRelationField):
            return False

    def get_list_display(self, request: HttpRequest):
        shown = list(super().get_list_display(request))
        if request.user.is_superuser and self.org_path == "organization":
            shown = [*shown, "organization"] if "organization" not in shown else shown
        return shown


class ReadOnlyOrgAdmin(OrgScopedAdmin):
    """Append-only records (ledger, audit): list and view, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrgScopedInline(OrgScopedMixin, admin.TabularInline):
    """Rows shown under an already scoped parent; merchants need no model permissions."""

    extra = 0
    can_delete = False


class OrgScopedStackedInline(OrgScopedMixin, admin.StackedInline):
    extra = 0
    can_delete = False


class ReadOnlyInline(OrgScopedInline):
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CustomerCodeFilter(admin.SimpleListFilter):
    """A text box filtering by the customer's 6-digit code (a select of customers won't scale)."""

    title = "customer code"
    parameter_name = "customer_code"
    template = "admin/loyalite/text_filter.html"
    customer_path = "customer"

    def lookups(self, request, model_admin):
        return [("", "")]  # the filter renders only if it has a choice; the template ignores it

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{f"{self.customer_path}__code": int(value)})

    def choices(self, changelist):
        yield {
            "selected": self.value() or "",
            "parameter_name": self.parameter_name,
            "other_params": [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ],
            "reset_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class ShownOnceAddMixin:
    """An add view for secrets (API keys, key pairs): a form, a service call, and a page that
    shows the secret this one time (admin_view marks it never_cache).

    Subclasses set the titles and templates and implement `create(form)` → the issued object
    (with the raw secret) and the saved model instance to log.
    """

    add_form: type
    add_title: str
    created_title: str
    add_template: str
    created_template: str

    def create(self, form) -> tuple[object, object]:
        raise NotImplementedError

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        fixed = None if request.user.is_superuser else org_of(request)
        form = self.add_form(request.POST or None, organization=fixed)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.add_title,
            "form": form,
        }
        if request.method != "POST" or not form.is_valid():
            return TemplateResponse(request, self.add_template, context)
        issued, instance = self.create(form)
        self.log_addition(request, instance, [{"added": {}}])
        context.update(title=self.created_title, issued=issued)
        return TemplateResponse(request, self.created_template, context)
