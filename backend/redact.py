"""Mask secrets before anything reaches a screen, a log line or a crash file."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_URL_WITH_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_KV_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)\s*=\s*('[^']*'|\S+)")


def mask_url(url: str | None) -> str | None:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``; key=value DSNs too."""
    if not url:
        return url
    if "://" not in url:
        return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}={MASK}", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if parts.password is None:
        masked = url
    else:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:{MASK}@{host}"
        if parts.port is not None:
            netloc += f":{parts.port}"
        masked = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    # Passwords can also travel in the query string (?password=...).
    return re.sub(r"(?i)([?&]password=)[^&]*", rf"\g<1>{MASK}", masked)


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """Mask URL passwords, ``password=...`` pairs and any literal secrets in free text."""
    text = _URL_WITH_PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m.group(1)}={MASK}", text)
    for secret in secrets or []:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
