"""Text that goes into a graphviz DOT document: wrapping, and the only two ways it is written.

Everything drawn on a flowchart comes from a BPMN file somebody else wrote, so every piece of
it is written into DOT in exactly one of two escaped forms, and in no other way:

- ``quoted(text)``: a DOT quoted string. DOT ends the string at an unescaped ``"``, and graphviz
  expands ``\\N``, ``\\G``, ``\\E``, ``\\T``, ``\\H``, ``\\L`` and ``\\l``/``\\r``/``\\n`` inside
  labels, ids and URLs (escString), so a backslash is doubled and a quote escaped;
- ``esc(text)`` inside an HTML-like label (``Html``): ``&``, ``<``, ``>``, ``"`` and ``'``
  become entities, so no tag and no attribute (IMG SRC=, HREF=, a closing ``>`` of the label)
  can be formed; graphviz 2.43 still expands ``\\N``-style escapes in HTML-like labels after
  decoding entities (``&#92;N`` draws the node's name), so a backslash is doubled here too.

Text from a file is never an attribute name, never an attribute value other than a label
written so, and never a node or port name: the writer numbers nodes and ports itself.
Tooltips take no file text: graphviz expands escapes in them twice (``t\\\\N`` shows ``t`` and
the node's name), and a tooltip makes an ``<a>`` element in the SVG.
"""

from __future__ import annotations

import re
import unicodedata


class Html(str):
    """An HTML-like label body built by the writer from escaped text (written as ``<…>``)."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def clean(text: str) -> str:
    """Text with control characters (and line/paragraph separators) turned into spaces."""
    return _CONTROL.sub(" ", text)


def esc(text: str) -> str:
    """Text for the inside of an HTML-like label."""
    return (clean(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;"))


def quoted(text: str) -> str:
    """A DOT quoted string holding ``text`` literally (no escString expansion)."""
    body = clean(text.replace("\n", " ")).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + body + '"'


def attrs(**kw: object) -> str:
    """A DOT attribute list; names are the writer's own keywords, values are escaped."""
    parts = []
    for k, v in kw.items():
        if v is None:
            continue
        parts.append(f"{k}=<{v}>" if isinstance(v, Html) else f"{k}={quoted(str(v))}")
    return "[" + ", ".join(parts) + "]"


_ID = re.compile(r"^[^\W\d][\w.\-]{0,63}$")


def safe_id(bpmn_id: str, fallback: str) -> str:
    """``bpmn_id`` if it is a plain XML name (what BPMN ids are), else ``fallback``.

    Used for the ``id`` of drawn elements in the SVG, so that a page can find a step by its
    BPMN id; anything else (quotes, brackets, backslashes, spaces, 64+ characters) never gets
    there.
    """
    return bpmn_id if _ID.match(bpmn_id) else fallback


# --- wrapping ---------------------------------------------------------------------------------
def width(ch: str) -> int:
    """Display columns of one character: a Chinese character is two."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


_CLOSING = set("）)」』》〉】、，。；：！？,.;:!?”’")


def wrap(text: str, limit: int) -> list[str]:
    """Wrap text at ``limit`` columns (a Chinese character is two), with balanced lines.

    Breaks at spaces when a line has them; never starts a line with closing punctuation.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        total = sum(width(c) for c in para)
        room = limit
        if total > limit:  # balance: 9 + 9 columns rather than 16 + 2
            count = -(-total // limit)
            room = min(limit, -(-total // count) + 1)
        cur, cur_w, last_space = "", 0, -1
        for ch in para:
            if cur_w + width(ch) > room and cur and ch not in _CLOSING:
                if last_space > 0 and ch != " ":
                    lines.append(cur[:last_space].rstrip())
                    cur = cur[last_space + 1:]
                else:
                    lines.append(cur.rstrip())
                    cur = ""
                cur_w = sum(width(c) for c in cur)
                last_space = -1
                if ch == " " and not cur:
                    continue
            if ch == " ":
                last_space = len(cur)
            cur += ch
            cur_w += width(ch)
        lines.append(cur.rstrip())
    return [ln for ln in lines if ln] or [""]


def html_lines(lines: list[str], limit: int, first_bold: bool = True, size: int = 10) -> Html:
    """Label lines as an HTML-like label: the first (bold) at ``limit`` columns, the others
    smaller; empty lines are left out, and an empty label is a space (graphviz 2.43 refuses
    an empty ``<b></b>``)."""
    out: list[str] = []
    for i, line in enumerate(lines):
        for part in wrap(line, limit if i == 0 else limit + 6):
            if not part.strip():
                continue
            if i == 0 and first_bold:
                out.append(f"<b>{esc(part)}</b>")
            elif i == 0:
                out.append(esc(part))
            else:
                out.append(f'<font point-size="{size}">{esc(part)}</font>')
    return Html("<br/>".join(out) or " ")


__all__ = ["Html", "esc", "quoted", "attrs", "safe_id", "wrap", "width", "html_lines", "clean"]
