"""The admin index's figures panel for the signed-in merchant's org."""

from django import template

from loyalite.admin_scoping import is_member, org_of
from loyalite.selectors import FIGURES_DAYS, org_figures

register = template.Library()


@register.inclusion_tag("admin/loyalite/figures.html", takes_context=True)
def org_figures_panel(context) -> dict:
    request = context["request"]
    if not is_member(request):
        return {"figures": None}
    org = org_of(request)
    if org is None and not request.user.is_superuser:
        return {"figures": None}
    return {
        "figures": org_figures(organization=org),
        "organization": org,
        "days": FIGURES_DAYS,
    }
