"""Human-readable sizes and durations, shared by health details, the CLI and the screens."""

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


def human_seconds(seconds: float) -> str:
    """An estimate for people: ``under a second``, ``12 s``, ``4 min 10 s``, ``2 h 5 min``."""
    if seconds < 1:
        return "under a second"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole // 60, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def human_estimate(seconds: float) -> str:
    """An estimate in words: ``under a second``, ``about 4 min 10 s``."""
    text = human_seconds(seconds)
    return text if seconds < 1 else f"about {text}"
