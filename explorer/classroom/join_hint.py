"""The students' join hint: when the server listens on the classroom network, the URL to type and a QR
code of it, drawn here with `segno` (pure Python; nothing comes from a CDN).

The address logic is pure (`student_url`), so it is tested without a server: no hint when the server
only listens on this machine (loopback), the LAN address when it listens on every interface.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import socket

import segno
import streamlit as st

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # every interface; Streamlit also listens on all when unset


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to `address` is reachable from this machine only."""
    host = (address or "").strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name, or empty (every interface)
        return False


def student_url(address: str | None, port: int, lan_ip: str | None, base_path: str = "") -> str | None:
    """The URL students type, or None when they cannot reach the server (loopback, or no LAN address).

    Args:
        address: the server's `server.address` (None or "" when unset: every interface).
        port: the server's port.
        lan_ip: this machine's address on the local network, used when `address` is a wildcard.
        base_path: `server.baseUrlPath`, if any.
    """
    if is_loopback(address):
        return None
    host = (address or "").strip()
    if host in WILDCARDS:
        if not lan_ip or is_loopback(lan_ip):
            return None
        host = lan_ip
    if ":" in host and not host.startswith("["):  # a bare IPv6 address
        host = f"[{host}]"
    path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    return f"http://{host}:{port}{path}/"


def lan_ip() -> str | None:
    """This machine's address on the local network, or None. Connecting a UDP socket sends nothing:
    it only asks the OS which interface would route to a private address."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.254.254.254", 1))
            return probe.getsockname()[0]
    except OSError:
        return None


@functools.lru_cache(maxsize=8)
def qr_png(url: str, scale: int = 6) -> bytes:
    """A QR code of `url` as PNG bytes (black on white, quiet zone included)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, scale: int = 6) -> str:
    """The same QR code as a standalone SVG string (no external references)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def current_url() -> str | None:
    """The students' URL of this running server, or None (see `student_url`)."""
    address = st.get_option("server.address")
    return student_url(address, int(st.get_option("server.port")), lan_ip(), st.get_option("server.baseUrlPath") or "")


def sidebar_hint(expanded: bool = False) -> None:
    """The URL and its QR code in a sidebar expander, only when students can reach this server."""
    url = current_url()
    if url is None:
        return
    with st.expander("Students: join here", expanded=expanded):
        st.markdown(f"**{url}**")  # built from the server's address and port, no user text
        st.image(qr_png(url), caption="Scan with a phone camera", width=180, output_format="PNG")
