"""Human-readable sizes, shared by health details, the CLI and the screens."""

from __future__ import annotations


def human_bytes(size: float | None, missing: str = "—") -> str:
    """1536 -> ``1.5 KiB``; ``None`` -> ``missing``."""
    if size is None:
        return missing
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
