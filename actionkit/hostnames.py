"""Hostname safety for tenant-supplied ActionKit hosts (SSRF protection).

Three layers: ``normalize_hostname`` (syntax: no IP literals, no userinfo, no localhost), ``check_hostname``
(DNS: every address must be globally routable) and ``peer_allowed``, called by ``actionkit.transport`` for the
address actually connected to, so a DNS answer that changes after validation (rebinding) is still refused.
Hosts in ``settings.ACTIONKIT_INSECURE_HOSTS`` ("host:port") may be reached over plain http, on loopback only; with
``ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK`` also at a private address (the demo's sandbox in its own container), never
at a link-local one (cloud metadata). Production sets neither (docker-compose.yml; the demo override sets both).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from actionkit.errors import UnsafeHostError

_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def configured_insecure_hosts() -> frozenset[str]:
    """``settings.ACTIONKIT_INSECURE_HOSTS``, or the env var of that name when Django is not configured."""
    try:
        from django.conf import settings

        hosts = settings.ACTIONKIT_INSECURE_HOSTS
    except Exception:  # ImproperlyConfigured outside Django (sandbox, bench scripts).
        hosts = None
    if hosts is None:
        hosts = [h for h in os.environ.get("ACTIONKIT_INSECURE_HOSTS", "").split(",") if h.strip()]
    return frozenset(h.strip().lower() for h in hosts)


def insecure_on_private_network() -> bool:
    """``settings.ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK``, or the env var of that name when Django is not configured."""
    try:
        from django.conf import settings

        value = settings.ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK
    except Exception:  # ImproperlyConfigured outside Django (sandbox, bench scripts).
        value = None
    if value is None:
        value = os.environ.get("ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK", "").lower() in ("1", "true", "yes", "on")
    return bool(value)


def normalize_hostname(raw: str, *, insecure: Iterable[str] | None = None) -> str:
    """Return ``host`` or ``host:port`` in lower case, or raise UnsafeHostError.

    Accepts what admins paste ("https://Act.Example.org/rest/v1/"), keeps only the authority part.
    """
    allow = configured_insecure_hosts() if insecure is None else frozenset(insecure)
    text = (raw or "").strip().lower()
    if not text:
        raise UnsafeHostError("Enter the hostname of your ActionKit instance.")
    parts = urlsplit(text if "://" in text else "//" + text)
    if parts.scheme not in ("", "http", "https"):
        raise UnsafeHostError("Only https ActionKit addresses are supported.")
    if "@" in parts.netloc:
        raise UnsafeHostError("The hostname must not contain a username or password.")
    try:
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError as exc:
        raise UnsafeHostError("The port in that hostname is not valid.") from exc
    authority = f"{host}:{port}" if port else host
    if authority in allow:
        return authority
    _reject_unsafe_name(host)
    return authority


def _reject_unsafe_name(host: str) -> None:
    if not host:
        raise UnsafeHostError("Enter the hostname of your ActionKit instance.")
    if _is_ip_literal(host):
        raise UnsafeHostError("Enter a hostname, not an IP address.")
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeHostError("That hostname points at this server.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeHostError("That hostname is not valid.") from exc
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        raise UnsafeHostError("That hostname is not valid.")
    if labels[-1].isdigit():
        raise UnsafeHostError("Enter a hostname, not an IP address.")


def _is_ip_literal(host: str) -> bool:
    """True for any form the resolver would read as an address: dotted, decimal, short (127.1), hex, IPv6."""
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate)
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(candidate)  # Accepts 2130706433, 127.1, 0x7f.1 exactly like getaddrinfo does.
        return True
    except OSError:
        return ":" in candidate


def ip_is_public(address: str) -> bool:
    """True only for globally routable unicast addresses, including any IPv4 embedded in an IPv6 form."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not embedded.is_global:
            return False
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64_PREFIXES):  # 64:ff9b::a9fe:a9fe is the metadata address via NAT64.
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def peer_allowed(address: str, *, authority: str, insecure: Iterable[str]) -> bool:
    """May we open a connection to ``address`` for ``authority`` ("host" or "host:port")?"""
    if authority in frozenset(insecure):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return ip.is_loopback or (insecure_on_private_network() and ip.is_private and not ip.is_link_local)
    return ip_is_public(address)


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_hostname(host: str, *, insecure_hosts: Iterable[str] | None = None) -> str:
    """Normalise ``host`` and resolve it; every address must be allowed. Returns the normalised authority."""
    allow = configured_insecure_hosts() if insecure_hosts is None else frozenset(insecure_hosts)
    authority = normalize_hostname(host, insecure=allow)
    name, _, port = authority.partition(":")
    try:
        addresses = resolve(name, int(port or 443))
    except OSError as exc:
        raise UnsafeHostError("That hostname does not resolve.") from exc
    if not addresses or not all(peer_allowed(a, authority=authority, insecure=allow) for a in addresses):
        raise UnsafeHostError("That hostname points at a private or reserved address.")
    return authority


def base_url(authority: str, *, insecure: Iterable[str]) -> str:
    """The one place that picks the scheme: https, except allow-listed local hosts."""
    scheme = "http" if authority in frozenset(insecure) else "https"
    return f"{scheme}://{authority}"
