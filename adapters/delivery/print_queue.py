"""The print queue (书面送达): one A4 PDF per notice, written to a directory the window prints
from (then sealed and handed over, or mailed to the recipient's address).

The file is named by case number, kind and the event that caused it
(``2026-食品-000001_acceptance_notice_5.pdf``), so a notice sent twice (a worker killed between
writing and marking) overwrites its own file. It is written atomically: to a temporary file in
the same directory, flushed to disk, then renamed, so a printer watching the directory never
picks up half a PDF. The Chinese font is the one the 办事明白卡 uses (adapters/publish/card.py).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from adapters.publish.card import DEFAULT_FAMILY, register_cjk_font
from engine.documents import Document

_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps Chinese; slashes and spaces go


def file_name(document: Document) -> str:
    seq = f"_{document.seq}" if document.seq is not None else ""
    return _UNSAFE.sub("_", f"{document.case_number}_{document.kind}{seq}") + ".pdf"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def render_pdf(document: Document, recipient: str, font: str) -> bytes:
    """The notice as an A4 PDF (the same sections as the text and e-mail forms)."""
    base = ParagraphStyle("notice", fontName=font, fontSize=11, leading=18, wordWrap="CJK")
    unit = ParagraphStyle("unit", parent=base, fontSize=14, leading=20, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER,
                           spaceAfter=4 * mm)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=13)
    d = document
    story: list[object] = [
        Paragraph(_esc(d.unit), unit), Paragraph(_esc(d.title), title),
        Paragraph(_esc(f"办件编号：{d.case_number}　　查询码：{d.query_code}"), base),
        Paragraph(_esc(f"申请人：{d.applicant}"), base), Spacer(1, 3 * mm)]
    for label, text in d.sections:
        story.append(Paragraph((f"<b>{_esc(label)}</b>：" if label else "") + _esc(text), base))
        story.append(Spacer(1, 1.5 * mm))
    story.append(Spacer(1, 6 * mm))
    phones = "　".join(f"{label}：{phone}" for label, phone in d.phones if phone)
    if phones:
        story.append(Paragraph(_esc(phones), base))
    if d.address:
        story.append(Paragraph(_esc(f"办理地点：{d.address}"), base))
    story += [Spacer(1, 12 * mm), Paragraph(_esc(f"{d.unit}（印章）"), right),
              Paragraph(_esc(f"{d.dated.year}年{d.dated.month}月{d.dated.day}日"), right),
              Spacer(1, 10 * mm), Paragraph(_esc(f"送达：{recipient}"), small)]
    buf = io.BytesIO()
    margin = 25 * mm
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                      bottomMargin=margin, title=f"{d.title} {d.case_number}", author=d.unit,
                      subject=d.kind, creator="Sunshine 阳光审批", invariant=True).build(story)
    return buf.getvalue()


class PrintQueue:
    """A ``Sender`` (engine/ports.py) that writes each notice as a PDF into ``directory``."""

    def __init__(self, directory: str | Path, *, font_path: str | None = None,
                 font_family: str = DEFAULT_FAMILY) -> None:
        self.directory = Path(directory)
        self.font_path, self.font_family = font_path, font_family

    def send(self, document: Document, recipient: str, *, key: str = "") -> None:
        font = register_cjk_font(self.font_path, self.font_family)
        data = render_pdf(document, recipient, font)
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / file_name(document)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
