"""The public catalogue (职权目录) as a static site that opens from the file system.

``write_site`` writes ``index.html`` (every public power, grouped by implementing unit and then
by category) and one service-guide page (办事指南) per power with its flowchart inlined as SVG.
Pages are plain HTML5 with inline CSS and no external assets of any kind (no CDN, no web
fonts, no scripts), because the service hall's screens and notice-board PCs may be offline.
Non-public powers (备案事项) are filtered out here, before anything is written.

A power whose flowchart cannot be drawn (``FlowchartError``: too large, or refused by graphviz)
does not stop the site: its page says so with the reason, the index marks it, and every other
power is published as usual. Only a missing graphviz stops the run, as nothing could be drawn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from adapters.flowchart import FlowchartError, RenderOptions, to_svg_bytes
from adapters.publish.common import (
    Entry,
    Source,
    deemed_text,
    diagram_for,
    fees_text,
    leader_text,
    material_marks,
    promised_text,
    public_only,
    result_text,
    slugs,
    statutory_text,
    step_counted,
    step_limit,
    tree_of,
)
from engine.catalogue import CATEGORIES, Power

SITE_TITLE = "职权目录"

CSS = """
:root { --ink:#263238; --blue:#1a4d8f; --line:#cfd8dc; --soft:#f3f6fa; --red:#c62828; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff; line-height:1.6;
  font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",
  "PingFang SC",sans-serif; }
header.site { background:var(--blue); color:#fff; padding:1rem 1.5rem; }
header.site a { color:#fff; }
header.site h1 { margin:.2rem 0; font-size:1.6rem; }
main { max-width:1100px; margin:0 auto; padding:1rem 1.5rem 3rem; }
h2 { border-left:6px solid var(--blue); padding-left:.6rem; margin-top:2rem; }
h3 { color:var(--blue); margin-bottom:.4rem; }
table { border-collapse:collapse; width:100%; margin:.5rem 0 1rem; }
th, td { border:1px solid var(--line); padding:.45rem .6rem; text-align:left; vertical-align:top; }
th { background:var(--soft); white-space:nowrap; }
table.guide th { width:9em; }
.meta { opacity:.9; margin:0; }
.deemed { color:var(--red); font-weight:bold; }
.mark { display:inline-block; margin-left:.5em; padding:0 .4em; border:1px solid #ef6c00;
  color:#ef6c00; border-radius:3px; font-size:.85em; }
.nocount { background:#eeeeee; }
.undrawn { border:1px solid #ef6c00; background:#fff3e0; padding:.6rem .8rem; }
nav.units ul { columns:2; }
figure.flowchart { margin:0; overflow-x:auto; border:1px solid var(--line); padding:.5rem; }
figure.flowchart svg { max-width:100%; height:auto; }
footer { max-width:1100px; margin:0 auto; padding:1rem 1.5rem 2rem; font-size:.9em; color:#546e7a; }
@media print { header.site { background:none; color:var(--ink); } nav, .downloads { display:none; } }
"""


UNDRAWN = "流程图暂无法自动生成"


@dataclass(frozen=True)
class Downloads:
    """Links a power page offers beside its inline flowchart (relative to the page)."""

    svg: str
    png: str | None = None
    card: str | None = None


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _text(value: str) -> str:
    """Escaped text with its line breaks kept."""
    return "<br>".join(escape(line) for line in value.strip().splitlines()) or "—"


_XML_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


def inline_svg(svg: bytes) -> str:
    """graphviz SVG made fit to sit inside an HTML page (no prolog, DOCTYPE or comments)."""
    return _XML_PROLOG.sub("", svg.decode("utf-8")).strip()


def _category_rank(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def flowchart_or_reason(power: Power, source: Source,
                        options: RenderOptions | None = None) -> bytes | str:
    """A public power's flowchart as SVG, or why it cannot be drawn (public words)."""
    try:
        return to_svg_bytes(diagram_for(power, tree_of(source, power.code)), options)
    except FlowchartError as err:
        return err.public_reason


def render_index(items: Sequence[tuple[Power, str]], title: str = SITE_TITLE,
                 undrawn: Mapping[str, str] | None = None) -> str:
    """The catalogue index: public powers by unit, then category; procedures listed apart.

    ``undrawn`` (slug → reason) marks the powers whose flowchart could not be drawn.
    """
    powers = [(p, s) for p, s in items if p.public and p.kind == "power"]
    procedures = [(p, s) for p, s in items if p.public and p.kind != "power"]
    units = sorted({p.unit or "（未注明实施主体）" for p, _ in powers})
    parts = [
        f'<header class="site"><h1>{escape(title)}</h1>'
        f'<p class="meta">共 {len(powers)} 项行政权力 · 本目录由系统根据实际运行的流程定义自动生成'
        f"，所公开的即所运行的</p></header>",
        "<main>",
    ]
    if units:
        parts.append('<nav class="units"><h2>实施主体</h2><ul>')
        parts += [f'<li><a href="#unit-{i + 1}">{escape(u)}</a></li>' for i, u in enumerate(units)]
        parts.append("</ul></nav>")
    for i, unit in enumerate(units):
        parts.append(f'<section id="unit-{i + 1}"><h2>{escape(unit)}</h2>')
        mine = [(p, s) for p, s in powers if (p.unit or "（未注明实施主体）") == unit]
        for category in sorted({p.category for p, _ in mine}, key=lambda c: (_category_rank(c), c)):
            rows = sorted([(p, s) for p, s in mine if p.category == category],
                          key=lambda ps: (ps[0].code, ps[1]))
            parts.append(f"<h3>{escape(category or '其他')}</h3>")
            parts.append(_index_table(rows, undrawn or {}))
        parts.append("</section>")
    if procedures:
        parts.append('<section id="procedures"><h2>公开工作程序</h2>')
        parts.append(_index_table(sorted(procedures, key=lambda ps: (ps[0].code, ps[1])),
                                  undrawn or {}))
        parts.append("</section>")
    if not powers and not procedures:
        parts.append("<p>目前没有公开的事项。</p>")
    parts.append("</main>")
    parts.append("<footer>如对公开内容有疑问或发现与实际办理不一致，请拨打各事项页面所列的监督投诉电话。</footer>")
    return _page(title, "\n".join(parts))


def _index_table(rows: Sequence[tuple[Power, str]], undrawn: Mapping[str, str]) -> str:
    out = ["<table><thead><tr><th>事项名称</th><th>事项编码</th><th>办件类型</th>"
           "<th>承诺时限</th><th>法定时限</th><th>超时默许</th></tr></thead><tbody>"]
    for p, slug in rows:
        deemed = '<span class="deemed">适用</span>' if p.deemed_approval or p.renewal else "不适用"
        mark = f'<span class="mark">{UNDRAWN}</span>' if slug in undrawn else ""
        out.append(
            f'<tr><td><a href="powers/{escape(slug)}.html">{escape(p.name)}</a>{mark}</td>'
            f"<td>{escape(p.code)}</td><td>{escape(p.mode)}</td><td>{escape(promised_text(p))}</td>"
            f"<td>{escape(statutory_text(p))}</td><td>{deemed}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def render_power_page(power: Power, svg: bytes | str, downloads: Downloads | None,
                      site_title: str = SITE_TITLE) -> str:
    """One power's service guide (办事指南) with its flowchart inline.

    ``svg`` is the flowchart, or the reason it could not be drawn (then no downloads).
    """
    p = power
    deemed_cls = ' class="deemed"' if p.deemed_approval or p.renewal else ""
    guide = [
        ("事项名称", escape(p.name)), ("事项编码", escape(p.code)),
        ("事项类别", escape(p.category)), ("实施主体", escape(p.unit)),
        ("设定依据", _text(p.legal_basis)), ("受理条件", _text(p.conditions)),
        ("收费标准及依据", "<br>".join(escape(f) for f in fees_text(p))),
        ("法定时限", escape(statutory_text(p))), ("承诺时限", escape(promised_text(p))),
        ("办件类型", escape(p.mode)), ("超时默许", f"<span{deemed_cls}>{escape(deemed_text(p))}</span>"),
        ("主管领导 / 科室", escape(leader_text(p)) or "—"),
        ("办理地点", _text(p.address)), ("办理时间", _text(p.hours)),
        ("咨询电话", _text(p.consult_phone)), ("监督投诉电话", _text(p.complaint_phone)),
        ("审批结果", escape(result_text(p)) or "—"),
    ]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in guide)
    materials = "".join(
        f"<li>{escape(m.name)}"
        + (f'<span class="mark">{escape(material_marks(m))}</span>' if material_marks(m) else "")
        + "</li>"
        for m in p.materials
    ) or "<li>无需提交材料</li>"
    steps = "".join(
        ("<tr>" if s.counted else '<tr class="nocount">')
        + f"<td>{i + 1}</td><td>{escape(s.name)}</td>"
        f"<td>{escape(s.post or '—')}</td><td>{escape(step_limit(s))}</td>"
        f"<td>{escape(step_counted(s))}</td></tr>"
        for i, s in enumerate(p.steps)
    )
    posts = "".join(f"<tr><th>{escape(x.name)}</th><td>{_text(x.duties)}</td></tr>"
                    for x in p.posts)
    links = []
    if downloads is not None and isinstance(svg, bytes):
        links.append(f'<a href="{escape(downloads.svg)}">流程图（SVG）</a>')
        if downloads.png:
            links.append(f'<a href="{escape(downloads.png)}">流程图（PNG）</a>')
    if downloads is not None and downloads.card:
        links.append(f'<a href="{escape(downloads.card)}">办事明白卡（PDF，A4）</a>')
    if isinstance(svg, bytes):
        chart = (f'<figure class="flowchart">{inline_svg(svg)}<figcaption>{escape(p.name)}'
                 f"办理流程图（由实际运行的流程定义自动生成）</figcaption></figure>")
    else:
        chart = (f'<p class="undrawn">{UNDRAWN}（原因：{escape(svg)}）。办理环节、岗位和时限以上表'
                 f"为准。</p>")
    downloads_line = f'<p class="downloads">下载：{" · ".join(links)}</p>' if links else ""
    body = [
        f'<header class="site"><p class="meta"><a href="../index.html">← 返回{escape(site_title)}</a>'
        f"</p><h1>{escape(p.name)}</h1><p class=\"meta\">事项编码 {escape(p.code)} · "
        f"{escape(p.category)} · {escape(p.unit)}</p></header>",
        "<main>",
        f'<section id="guide"><h2>办事指南</h2><table class="guide"><tbody>{rows}</tbody></table>'
        "</section>",
        f'<section id="materials"><h2>申请材料</h2><ol>{materials}</ol>'
        "<p>可容缺后补：材料暂缺时可先受理、限期补齐；可告知承诺：以书面承诺代替该材料。</p></section>",
        '<section id="steps"><h2>办理环节</h2><table><thead><tr><th>序号</th><th>环节</th>'
        f"<th>岗位</th><th>时限</th><th>是否计时</th></tr></thead><tbody>{steps}</tbody></table>"
        "<p>时限均为工作日，自受理之日起计算；不计时环节（听证、检验、检测、鉴定、专家评审等）所需时间"
        "不计入时限。</p></section>",
    ]
    if posts:
        body.append(f'<section id="posts"><h2>岗位职责</h2><table><tbody>{posts}</tbody></table>'
                    "</section>")
    body += [
        f'<section id="flowchart"><h2>办理流程图</h2>{chart}{downloads_line}</section>',
        "</main>",
        f"<footer>监督投诉电话：{escape(p.complaint_phone or '—')} · 咨询电话："
        f"{escape(p.consult_phone or '—')}</footer>",
    ]
    return _page(f"{p.name} — 办事指南 · {site_title}", "\n".join(body))


def write_site(powers: Sequence[Entry], outdir: str | Path, *,
               options: RenderOptions | None = None, title: str = SITE_TITLE,
               on_undrawn: Callable[[str, str], None] | None = None) -> Path:
    """Write the public catalogue site into ``outdir``; returns the path of ``index.html``.
    ``on_undrawn(code, reason)`` hears of each power whose flowchart could not be drawn (its
    page says so and the rest of the site is written all the same).

    ``powers`` are (Power, BPMN bytes or parsed tree) pairs, e.g. every deployed definition;
    non-public powers are dropped here and never written anywhere.
    """
    out = Path(outdir)
    (out / "powers").mkdir(parents=True, exist_ok=True)
    entries = public_only(powers)
    names = slugs([p for p, _ in entries])
    undrawn: dict[str, str] = {}
    for (power, source), slug in zip(entries, names, strict=True):
        svg = flowchart_or_reason(power, source, options)
        if isinstance(svg, bytes):
            (out / "powers" / f"{slug}.svg").write_bytes(svg)
        else:
            undrawn[slug] = svg
            if on_undrawn is not None:
                on_undrawn(power.code, svg)
        page = render_power_page(power, svg, Downloads(svg=f"{slug}.svg"), title)
        (out / "powers" / f"{slug}.html").write_text(page, encoding="utf-8")
    index = out / "index.html"
    index.write_text(render_index(list(zip([p for p, _ in entries], names, strict=True)), title,
                                  undrawn), encoding="utf-8")
    return index


__all__ = ["write_site", "render_index", "render_power_page", "inline_svg", "Downloads", "CSS",
           "flowchart_or_reason", "UNDRAWN"]
