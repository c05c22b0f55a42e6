"""The self-contained HTML page: every figure inlined as a base64 PNG, the style and the one
small script inline, no external URL at all (the page works offline and from an e-mail).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

import pandas as pd

from kochu.report.figures import Rendered

CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px 0;font-size:22px}
header dl{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0;font-size:13px}
header dt{opacity:.7}header dd{margin:0 0 0 4px;font-weight:bold}
nav{padding:10px 28px;background:#e9eef3;font-size:13px;line-height:1.8}
nav a{margin-right:14px;color:#1f3b57}
main{padding:10px 28px 40px 28px;max-width:1100px}
section{margin:26px 0}
h2{font-size:18px;border-bottom:2px solid #1f3b57;padding-bottom:4px}
figure{margin:18px 0;background:#fff;border:1px solid #ddd;padding:10px}
figure img{max-width:100%;height:auto;display:block;cursor:zoom-in}
figure img.big{cursor:zoom-out;max-width:none}
figcaption{font-size:13px;color:#444;margin-top:6px}
figcaption b{color:#222}
table{border-collapse:collapse;font-size:12.5px;background:#fff}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#eef2f6}td:first-child,th:first-child{text-align:left}
pre{background:#fff;border:1px solid #ddd;padding:10px;font-size:12px;overflow:auto}
footer{font-size:12px;color:#666;padding:0 28px 28px 28px}
"""

#: an empty inline icon, so browsers do not ask a server for /favicon.ico
ICON = '<link rel="icon" href="data:,">'

#: click a figure to see it at full resolution (inline, no external code)
SCRIPT = """
document.querySelectorAll('figure img').forEach(function (img) {
  img.addEventListener('click', function () { img.classList.toggle('big'); });
});
"""


def img_tag(fig: Rendered) -> str:
    """An ``<img>`` with the figure's PNG inlined as a data URI."""
    b64 = base64.b64encode(fig.png).decode("ascii")
    return (f'<img id="fig-{html.escape(fig.name)}" alt="{html.escape(fig.title)}" '
            f'src="data:image/png;base64,{b64}">')


def figure_block(fig: Rendered) -> str:
    """A ``<figure>`` with the image, its title and one-line caption, and the file names."""
    return (f"<figure>{img_tag(fig)}<figcaption><b>{html.escape(fig.title)}.</b> "
            f"{html.escape(fig.caption)} <i>(figures/{html.escape(fig.name)}.png, "
            f".svg)</i></figcaption></figure>")


def table_html(df: pd.DataFrame, float_format: str = "{:,.0f}") -> str:
    """A small HTML table (numbers formatted, text escaped)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append(f"<td>{float_format.format(v)}</td>")
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page(
    title: str,
    facts: dict[str, str],
    sections: Iterable[tuple[str, str, list[Rendered], str]],
    appendix: str = "",
    footer: str = "",
) -> str:
    """The whole HTML document.

    ``sections`` are ``(anchor, heading, figures, extra_html)``; ``appendix`` is preformatted text
    (the scenario) and ``footer`` a line of provenance.
    """
    sections = list(sections)
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts.items())
    nav = "".join(f'<a href="#{a}">{html.escape(h)}</a>' for a, h, _, _ in sections)
    body = []
    for anchor, heading, figs, extra in sections:
        blocks = "".join(figure_block(f) for f in figs)
        body.append(f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{blocks}{extra}</section>')
    if appendix:
        body.append('<section id="scenario"><h2>Scenario of this run</h2>'
                    f"<pre>{html.escape(appendix)}</pre></section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"{ICON}<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><dl>{dl}</dl></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main>"
        f"<footer>{html.escape(footer)}</footer><script>{SCRIPT}</script></body></html>\n"
    )
