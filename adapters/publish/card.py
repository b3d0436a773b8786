"""The A4 one-page card (办事明白卡) of a power, as PDF with reportlab.

The card a citizen takes home or reads on the notice board: name, legal basis, conditions,
materials, steps with their posts and limits, the promised and statutory limits, fees, the
flowchart (drawn by adapters.flowchart from the running definition), address and hours, and
the enquiry and complaint phones. Everything is shrunk together to fit one page.

Chinese needs a CJK TrueType font embedded in the PDF; the font is found through fontconfig
(``fc-match``) or given as a path, and a missing one is an error that says how to install it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from lxml import etree
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from adapters.flowchart import (
    FlowchartError,
    RenderError,
    RenderOptions,
    layout_size,
    render_bytes,
)
from adapters.publish.common import (
    NotPublic,
    Source,
    deemed_text,
    diagram_for,
    fees_text,
    leader_text,
    material_marks,
    promised_text,
    result_text,
    statutory_text,
    step_counted,
    step_limit,
    tree_of,
)
from engine.catalogue import Power

DEFAULT_FAMILY = "WenQuanYi Zen Hei"
BLUE = colors.HexColor("#1a4d8f")
LINE = colors.HexColor("#90a4ae")
SOFT = colors.HexColor("#f3f6fa")


class CJKFontNotFound(RenderError):
    """No font that can draw Chinese was found for the PDF card."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"no Chinese (CJK) font for the card: {detail} — install one "
            f"(apt-get install fonts-wqy-zenhei) or pass the path of a .ttf/.ttc font with "
            f"Chinese glyphs as the card font"
        )


_REGISTERED: dict[tuple[str, int], str] = {}


def find_cjk_font(family: str = DEFAULT_FAMILY) -> tuple[str, int]:
    """(file, index in a .ttc collection) of a font family, found with fontconfig.

    fc-match always answers, with a fallback when the family is missing; the caller checks
    that what it got can draw Chinese.
    """
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise CJKFontNotFound("fontconfig's `fc-match` is not installed (apt-get install fontconfig)")
    done = subprocess.run([fc_match, "-f", "%{file}|%{index}|%{family}", family],
                          capture_output=True, text=True, timeout=30, check=False)
    parts = done.stdout.strip().split("|")
    if done.returncode != 0 or len(parts) < 3 or not parts[0]:
        raise CJKFontNotFound(f"fontconfig knows no font '{family}'")
    return parts[0], int(parts[1] or 0)


def register_cjk_font(font_path: str | None = None, family: str = DEFAULT_FAMILY) -> str:
    """Register a CJK font with reportlab and return its reportlab name."""
    path, index = (font_path, 0) if font_path else find_cjk_font(family)
    if not Path(path).is_file():
        raise CJKFontNotFound(f"the font file {path} does not exist")
    key = (path, index)
    if key in _REGISTERED:
        return _REGISTERED[key]
    try:
        font = TTFont(f"SunshineCJK{len(_REGISTERED)}", path, subfontIndex=index)
    except Exception as err:  # reportlab raises TTFError and plain errors for unusable files
        raise CJKFontNotFound(f"reportlab cannot use {path}: {err}") from None
    if ord("中") not in font.face.charToGlyph:
        raise CJKFontNotFound(f"{path} has no Chinese glyphs")
    pdfmetrics.registerFont(font)
    _REGISTERED[key] = font.fontName
    return font.fontName


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13.5, wordWrap="CJK")
    return {
        "base": base,
        "small": replace_style(base, fontSize=8, leading=11, textColor=colors.HexColor("#546e7a")),
        "title": replace_style(base, fontSize=20, leading=26, alignment=TA_CENTER,
                               textColor=BLUE),
        "kicker": replace_style(base, fontSize=10, leading=13, alignment=TA_CENTER,
                                textColor=colors.HexColor("#546e7a")),
        "head": replace_style(base, fontSize=11.5, leading=16, textColor=BLUE, spaceBefore=5,
                              spaceAfter=2),
        "cell": replace_style(base, fontSize=9, leading=12),
        "key": replace_style(base, fontSize=9, leading=12, textColor=BLUE),
        "red": replace_style(base, fontSize=9, leading=12, textColor=colors.HexColor("#c62828")),
    }


def replace_style(style: ParagraphStyle, **kw: object) -> ParagraphStyle:
    new = ParagraphStyle(f"{style.name}-{len(kw)}", parent=style)
    for k, v in kw.items():
        setattr(new, k, v)
    return new


def _esc(text: str) -> str:
    return (text or "—").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("\n", "<br/>")


def _grid(rows: list[list[object]], widths: list[float], header: bool = False) -> Table:
    t = Table(rows, colWidths=widths)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SOFT))
    t.setStyle(TableStyle(style))
    return t


def card_story(power: Power, flowchart_png: bytes | None, font: str, width: float,
               image_height: float = 110 * mm, undrawn: str | None = None) -> list[object]:
    """The flowables of a card, top to bottom; the flowchart at most ``image_height`` high
    (``undrawn``: why there is no flowchart, said in its place)."""
    st = _styles(font)
    p = power
    P = Paragraph  # noqa: N806 - reads like the layout it builds
    story: list[object] = [
        P("办事明白卡", st["kicker"]), P(_esc(p.name), st["title"]),
        P(f"事项编码 {_esc(p.code)} · {_esc(p.category)} · 实施主体 {_esc(p.unit)} · "
          f"{_esc(p.mode)}", st["kicker"]),
        Spacer(1, 3 * mm),
    ]
    deemed = st["red"] if p.deemed_approval or p.renewal else st["cell"]
    facts = [
        [P("法定时限", st["key"]), P(_esc(statutory_text(p)), st["cell"]),
         P("承诺时限", st["key"]), P(_esc(promised_text(p)), st["cell"])],
        [P("超时默许", st["key"]), P(_esc(deemed_text(p)), deemed),
         P("收费标准", st["key"]), P(_esc("；".join(fees_text(p))), st["cell"])],
        [P("设定依据", st["key"]), P(_esc(p.legal_basis), st["cell"]),
         P("审批结果", st["key"]), P(_esc(result_text(p)), st["cell"])],
    ]
    story.append(_grid(facts, [width * 0.12, width * 0.38, width * 0.12, width * 0.38]))
    story += [P("受理条件", st["head"]), P(_esc(p.conditions), st["base"])]
    story.append(P("申请材料", st["head"]))
    for i, m in enumerate(p.materials or ()):
        marks = material_marks(m)
        story.append(P(f"{i + 1}. {_esc(m.name)}" + (f"（{_esc(marks)}）" if marks else ""),
                       st["base"]))
    if not p.materials:
        story.append(P("无需提交材料", st["base"]))
    story.append(P("办理环节（时限为工作日，自受理之日起计算）", st["head"]))
    rows: list[list[object]] = [[P(h, st["key"]) for h in ("序号", "环节", "岗位", "时限", "是否计时")]]
    for i, s in enumerate(p.steps):
        rows.append([P(str(i + 1), st["cell"]), P(_esc(s.name), st["cell"]),
                     P(_esc(s.post or "—"), st["cell"]), P(_esc(step_limit(s)), st["cell"]),
                     P(_esc(step_counted(s)), st["cell"])])
    story.append(_grid(rows, [width * f for f in (0.07, 0.33, 0.25, 0.17, 0.18)], header=True))
    if flowchart_png:
        story.append(P("办理流程图", st["head"]))
        img = ImageReader(io.BytesIO(flowchart_png))
        iw, ih = img.getSize()
        scale = min(width / iw, image_height / ih)
        story.append(Image(io.BytesIO(flowchart_png), width=iw * scale, height=ih * scale))
        story.append(P("图中红色虚线为超时默许路径，橙色虚线为补正路径，灰色环节不计时。", st["small"]))
    elif undrawn:
        story.append(P("办理流程图", st["head"]))
        story.append(P(_esc(f"流程图暂无法自动生成（原因：{undrawn}），办理环节以上表为准。"),
                       st["base"]))
    story.append(Spacer(1, 2 * mm))
    contact = [
        [P("办理地点", st["key"]), P(_esc(p.address), st["cell"]),
         P("办理时间", st["key"]), P(_esc(p.hours), st["cell"])],
        [P("咨询电话", st["key"]), P(_esc(p.consult_phone), st["cell"]),
         P("监督投诉电话", st["key"]), P(_esc(p.complaint_phone), st["red"])],
        [P("主管领导 / 科室", st["key"]), P(_esc(leader_text(p)), st["cell"]),
         P("", st["key"]), P("", st["cell"])],
    ]
    story.append(_grid(contact, [width * 0.14, width * 0.36, width * 0.14, width * 0.36]))
    story.append(Spacer(1, 1.5 * mm))
    story.append(P("本卡由系统根据实际运行的流程定义自动生成，所公开的即所运行的。"
                   "超过承诺时限未办结的，可拨打监督投诉电话。", st["small"]))
    return story


def flowchart_png(power: Power, tree: etree._ElementTree, width: float, height: float,
                  options: RenderOptions | None = None) -> bytes:
    """The card's flowchart, drawn to fit ``width`` × ``height`` points as large as it can.

    Swimlane bands make a chart too wide to read on A4, so the card draws it without pool and
    lane boxes (each step still names its post) and without the legend (the card states the
    facts itself), top-to-bottom or left-to-right, whichever comes out larger (a layout-only
    dot run decides), downsampled to print resolution.
    """
    o = options or RenderOptions()
    diagram = replace(diagram_for(power, tree).without_bands(), legend=None)
    best, best_scale = "TB", -1.0
    for rankdir in ("TB", "LR"):
        w, h = layout_size(diagram, replace(o, rankdir=rankdir, show_title=False))
        scale = min(width / (w * 72), height / (h * 72))
        if scale > best_scale * 1.15:  # top-to-bottom unless the other is clearly larger
            best, best_scale = rankdir, scale
    dpi = max(72, min(300, round(220 * best_scale)))  # 220 dpi on paper at the chosen scale
    return render_bytes(diagram, "png", replace(o, rankdir=best, dpi=dpi, show_title=False))


def _height(story: list[object], width: float, height: float) -> float:
    total = 0.0
    for f in story:
        _, h = f.wrap(width, height)  # type: ignore[attr-defined]
        total += h + f.getSpaceBefore() + f.getSpaceAfter()  # type: ignore[attr-defined]
    return total


def write_card(power: Power, bpmn_tree: Source, out_pdf: str | Path, *,
               options: RenderOptions | None = None, font_path: str | None = None,
               font_family: str = DEFAULT_FAMILY, undrawn: str | None = None) -> Path:
    """Write the A4 one-page card (办事明白卡) of a public power to ``out_pdf``.

    A flowchart that cannot be drawn (or ``undrawn``: already known not to be, and why) is
    replaced by a sentence saying so; the card is written all the same.
    """
    if not power.public:
        raise NotPublic(power)
    font = register_cjk_font(font_path, font_family)
    tree = tree_of(bpmn_tree, power.code)
    out = Path(out_pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    margin = 12 * mm
    doc = SimpleDocTemplate(
        str(out), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=f"{power.name} 办事明白卡", author=power.unit,
        subject=power.code, creator="Sunshine 阳光审批", invariant=True,
    )
    width, height = doc.width, doc.height
    # The flowchart takes the room the text leaves, and at least 105 mm so that it stays
    # legible: past that the whole card shrinks together to stay on one page.
    text_only = _height(card_story(power, None, font, width), width, height)
    room = max(105 * mm, height - text_only - 16 * mm)
    png: bytes | None = None
    try:
        png = None if undrawn else flowchart_png(power, tree, width, room, options)
    except FlowchartError as err:  # this power's chart only: the card is still worth having
        undrawn = err.public_reason
    story = card_story(power, png, font, width, image_height=room, undrawn=undrawn)
    # One page, always: everything shrinks together if the power has a long list.
    doc.build([KeepInFrame(width, height, story, mode="shrink")])
    return out


__all__ = ["write_card", "card_story", "flowchart_png", "find_cjk_font", "register_cjk_font",
           "CJKFontNotFound"]
