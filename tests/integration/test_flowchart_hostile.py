"""A BPMN file cannot falsify the public flowchart, site or card (tests/fixtures/bpmn/hostile).

The fixtures are written as Camunda Modeler and Signavio write files, with DOT and HTML in
names, lanes, flows, annotations, the catalogue entry and ids: closing a label to add a node,
hiding the certificate step and relabelling the decision 自动审批, a ``javascript:`` URL, an
image from the server's disk (IMG SRC= / image= / shapefile=), and graphviz's ``\\N``-style
escapes. Each must show as literal text, and nothing else may appear.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lxml import etree

from adapters.dot_text import esc, quoted
from adapters.flowchart import RenderOptions, render_bytes, to_dot, to_svg_bytes
from adapters.publish import export_all, write_site
from engine.catalogue import processes, read_power
from engine.diagram import Diagram, extract
from engine.xmlsafe import read_bpmn_file

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests/fixtures/bpmn/hostile"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
INJECTION = HOSTILE / "dot_injection_names.bpmn"
BAD_IDS = HOSTILE / "bad_ids.bpmn"


def diagram_of(path: Path) -> Diagram:
    _, tree = read_bpmn_file(str(path))
    return extract(tree)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def svg_text(root: etree._Element) -> str:
    return "".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.fixture(scope="module", params=[INJECTION, BAD_IDS], ids=lambda p: p.name)
def drawn(request: pytest.FixtureRequest) -> tuple[Diagram, etree._Element, str]:
    diagram = diagram_of(request.param)
    return diagram, etree.fromstring(to_svg_bytes(diagram)), to_dot(diagram)


def test_the_svg_holds_exactly_the_files_elements_and_no_extra_node(
        drawn: tuple[Diagram, etree._Element, str]) -> None:
    diagram, root, _ = drawn
    expanded = {c.id for c in diagram.clusters}
    marks = {n.id for n in diagram.nodes if n.kind == "boundary" and n.attached_to}
    expected = len([n for n in diagram.nodes if n.id not in expanded and n.id not in marks])
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    ours = [g for g in nodes if (g.get("id") or "").startswith("bpmn-")]
    pins = [g for g in nodes if re.fullmatch(r"band\d+[ht]|e\d+", g.findtext(f"{SVG}title")
                                             or "")]
    assert len(ours) == expected
    assert len(nodes) == len(ours) + len(pins)  # nothing else was drawn
    titles = [g.findtext(f"{SVG}title") for g in ours]
    assert all(re.fullmatch(r"n\d+", t or "") for t in titles)


def test_the_svg_has_no_link_no_image_and_no_javascript(
        drawn: tuple[Diagram, etree._Element, str]) -> None:
    _, root, _ = drawn
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in (f"{SVG}a", f"{SVG}image", f"{SVG}script", f"{SVG}foreignObject")
        for name, value in el.attrib.items():
            assert not name.endswith("href") and name != f"{XLINK}href", (el.tag, name)
            assert "javascript" not in value.lower(), (el.tag, name, value)


def skeleton(dot: str) -> str:
    """The DOT source without its HTML-like labels and quoted strings: the statements."""
    out, i = [], 0
    while i < len(dot):
        if dot.startswith("=<", i):
            depth, i = 0, i + 1
            while True:
                depth += {"<": 1, ">": -1}.get(dot[i], 0)
                i += 1
                if depth == 0:
                    break
            out.append("=LABEL")
        elif dot[i] == '"':
            m = re.compile(r'"(?:\\.|[^"\\])*"').match(dot, i)
            assert m is not None, dot[i:i + 80]
            out.append('"S"')
            i = m.end()
        else:
            out.append(dot[i])
            i += 1
    return "".join(out)


def test_file_text_reaches_the_dot_source_only_inside_escaped_labels(
        drawn: tuple[Diagram, etree._Element, str]) -> None:
    _, _, dot = drawn
    bare = skeleton(dot)
    for word in ("URL", "href", "image", "shapefile", "IMG", "javascript", "自动审批", "n99",
                 "x [", "受理", "etc", "\\"):
        assert word not in bare, word
    # nodes are only the writer's own numbered names, and every line is one statement
    for line in bare.splitlines():
        head = line.strip().split(" ", 1)[0]
        assert re.fullmatch(r"(n\d+(:\w+)*|e\d+|band\d+[ht]|empty|digraph|graph|node|edge|"
                            r"subgraph|\}|\{)", head), line


def test_the_injected_names_show_literally_on_the_chart() -> None:
    diagram = diagram_of(INJECTION)
    root = etree.fromstring(to_svg_bytes(diagram))
    text = squash(svg_text(root))
    for shown in ('是否准予"URL="javascript:alert(document.cookie)"x="',
                  '窗口受理岗"];n0[style=invis];n99[URL="javascript:alert(1)"',
                  "不予许可\\N\\G\\L\\l\\E\\T\\H", '办结<br/><fontcolor="white">',
                  "<制证发证>];n2[label=<自动审批>];n3[style=invis];n99[label…",
                  '准予>];edge[style=invis', '<table><tr><td><IMGSRC="/etc/hostname"/>',
                  "image=\"/etc/hostname\"shapefile=\"/etc/hostname\"'quoted'&amp;&#92;N"):
        assert squash(shown) in text, shown
    # the accept step's name is long: cut with …, its beginning shown as written
    assert squash('<受理>];n3[style=invis,label=""];n2[label=<自动审批>]') in text


def test_the_certificate_step_stays_visible_and_the_decision_keeps_its_symbol() -> None:
    diagram = diagram_of(INJECTION)
    root = etree.fromstring(to_svg_bytes(diagram))
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    cert = groups["bpmn-Activity_certificate"]
    assert [p for p in cert.iter(f"{SVG}path") if p.get("stroke") not in (None, "transparent")]
    assert "岗位：审批岗" in svg_text(cert)
    decision = groups["bpmn-Gateway_decide"]
    assert "×" in svg_text(decision) and "自动审批" not in svg_text(decision)
    # 自动审批 appears only inside the two steps' own (literal) names
    assert svg_text(root).count("自动审批") == 2
    assert "自动审批" in svg_text(groups["bpmn-Activity_accept"])
    assert "自动审批" in svg_text(cert)


def test_ids_that_are_not_plain_names_never_reach_the_svg() -> None:
    diagram = diagram_of(BAD_IDS)
    root = etree.fromstring(to_svg_bytes(diagram))
    ids = [g.get("id") or "" for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert "bpmn-end" in ids
    for i in ids:
        assert re.fullmatch(r"bpmn-[\w.\-]+|node\d+", i), i


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_no_server_side_image_is_embedded_in_png_or_pdf(fmt: str) -> None:
    diagram = diagram_of(INJECTION)
    data = render_bytes(diagram, fmt, RenderOptions(dpi=72))
    assert data  # drawn, and graphviz read no file named in the BPMN (it would warn or embed)
    if fmt == "pdf":
        assert b"/Subtype /Image" not in data


def test_the_escapes_double_backslashes_and_leave_no_tag_or_quote() -> None:
    assert esc('<a href="x">\\N & \'') == "&lt;a href=&quot;x&quot;&gt;\\\\N &amp; &#39;"
    assert quoted('a"] ; b [x="\\G\n') == '"a\\"] ; b [x=\\"\\\\G "'


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def test_the_public_site_and_card_of_a_hostile_power_show_its_text_and_nothing_more(
        tmp_path: Path) -> None:
    data = INJECTION.read_bytes()
    _, tree = read_bpmn_file(str(INJECTION))
    power = read_power(processes(tree)[0])
    assert power is not None
    write_site([(power, data)], tmp_path / "site")
    result = export_all([(power, data)], tmp_path / "all")
    assert not result.undrawn
    for page in [*(tmp_path / "site").rglob("*.html"), *(tmp_path / "all").rglob("*.html")]:
        parser = Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, attrs in parser.tags:
            assert tag not in ("img", "script", "iframe", "image"), (page, tag)
            for name, value in attrs.items():
                assert "javascript" not in value.lower(), (page, tag, name)
                assert not name.startswith("on"), (page, tag, name)
    guide = (tmp_path / "site" / "powers" / "XK-HOSTILE-1.html").read_text(encoding="utf-8")
    assert "食品经营许可&lt;/b&gt;&lt;IMG SRC=&quot;/etc/passwd&quot;/&gt;" in guide
    card = (tmp_path / "all" / "cards" / "XK-HOSTILE-1.pdf").read_bytes()
    # the flowchart and its alpha mask, and no file named in the BPMN
    assert card.count(b"/Subtype /Image") == 2 and card.count(b"/SMask") == 1
