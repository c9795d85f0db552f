"""Small inline SVG charts (no script, no build step): bars over time and progress bars."""

from __future__ import annotations

from markupsafe import Markup, escape


def bars(values: list[float], labels: list[str], *, width: int = 360, height: int = 80, title: str = "") -> Markup:
    """A bar per value (e.g. per hour), each with a tooltip; the highest bar fills the height."""
    n = max(len(values), 1)
    top = max(values) if values and max(values) > 0 else 1
    gap = 2
    bar_w = max((width - gap * (n - 1)) / n, 1)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height + 14}" width="{width}" '
             f'height="{height + 14}" aria-label="{escape(title)}">']
    for i, (v, label) in enumerate(zip(values, labels)):
        h = 0 if v <= 0 else max(height * v / top, 1.5)
        x = i * (bar_w + gap)
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="1.5">'
                     f'<title>{escape(label)}: {v:g}</title></rect>')
    parts.append(f'<line x1="0" y1="{height + .5}" x2="{width}" y2="{height + .5}" class="axis"/>')
    if labels:
        parts.append(f'<text x="0" y="{height + 12}" class="tick">{escape(labels[0])}</text>')
        parts.append(f'<text x="{width}" y="{height + 12}" class="tick" text-anchor="end">{escape(labels[-1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def progress(parts: list[tuple[str, int]], *, width: int = 360, height: int = 14) -> Markup:
    """A stacked bar of (css class, count) parts, e.g. loops by status."""
    total = sum(c for _, c in parts) or 1
    out = [f'<svg class="progress" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
           f'<rect class="track" x="0" y="0" width="{width}" height="{height}" rx="3"/>']
    x = 0.0
    for css, count in parts:
        w = width * count / total
        if w > 0:
            out.append(f'<rect class="{escape(css)}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
                       f'<title>{escape(css)}: {count}</title></rect>')
        x += w
    out.append("</svg>")
    return Markup("".join(out))
