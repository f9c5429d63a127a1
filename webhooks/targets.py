"""Which webhook URLs we may call: HTTPS to public addresses only (SSRF guard).

The check resolves the host once and vets every address; delivery then connects to one of
those vetted addresses (with the original Host header and TLS SNI), so a DNS answer that
changes between the check and the connection cannot reach an internal service.
"""

import ipaddress
import socket
from dataclasses import dataclass

import httpx
from django.conf import settings

from loyalite.errors import UrlNotAllowed

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Target:
    """A vetted URL and the addresses its host resolved to."""

    url: httpx.URL
    hostname: str  # IDNA/ASCII form, IPv6 without brackets
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        default = DEFAULT_PORTS[self.url.scheme]
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, address: str) -> httpx.URL:
        return self.url.copy_with(host=address)


def _address_allowed(address: str, *, plain_http: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    return not plain_http and ip.is_global and not ip.is_multicast


def _resolve(hostname: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UrlNotAllowed("The URL's host does not resolve.") from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UrlNotAllowed("The URL's host does not resolve.")
    return addresses


def parse_url(raw_url: str) -> tuple[httpx.URL, str, int]:
    """The URL, its ASCII host and port if its shape is acceptable (no DNS yet)."""
    if not isinstance(raw_url, str) or not raw_url or len(raw_url) > MAX_URL_LENGTH:
        raise UrlNotAllowed("The URL is missing or too long.")
    try:
        url = httpx.URL(raw_url.strip())
        hostname = url.raw_host.decode("ascii").lower()
        scheme = url.scheme
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise UrlNotAllowed("The URL is not valid.") from None
    if scheme not in DEFAULT_PORTS or not hostname:
        raise UrlNotAllowed("The URL must be an absolute https:// URL.")
    if scheme == "http" and not settings.WEBHOOK_ALLOW_LOOPBACK:
        raise UrlNotAllowed("Plain http is not allowed; use https.")
    return url, hostname, url.port or DEFAULT_PORTS[scheme]


def check_url(raw_url: str) -> Target:
    """Resolves the URL's host once and refuses it unless every address may be called."""
    url, hostname, port = parse_url(raw_url)
    addresses = _resolve(hostname, port)
    plain_http = url.scheme == "http"
    for address in addresses:
        if not _address_allowed(address, plain_http=plain_http):
            raise UrlNotAllowed(
                "The URL points at a private, loopback or reserved address"
                + (" (plain http is allowed only to loopback)." if plain_http else ".")
            )
    return Target(url=url, hostname=hostname, port=port, addresses=addresses)
