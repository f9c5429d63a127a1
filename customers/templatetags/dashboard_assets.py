"""`{% inline_static "customers/dashboard.js" %}`: a static file's text, inlined in the page.

The dashboard must work under `uvicorn loyalite.asgi:application` alone, where nothing
serves /static/; its CSS and JS are small, so they travel inside the page.
"""

import functools

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@functools.lru_cache(maxsize=16)
def _read_cached(path: str) -> str:
    return _read(path)


def _read(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"static file not found: {path}")
    with open(found, encoding="utf-8") as handle:
        return handle.read()


@register.simple_tag
def inline_static(path: str) -> SafeString:
    text = _read(path) if settings.DEBUG else _read_cached(path)
    return mark_safe(text)  # noqa: S308 - our own asset file, not user input
