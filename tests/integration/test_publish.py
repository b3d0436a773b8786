"""The public catalogue site, the A4 card and the filing list (adapters/publish)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from adapters.flowchart import MAX_ELEMENTS
from adapters.publish import (
    CJKFontNotFound,
    NotPublic,
    export_all,
    write_card,
    write_filing,
    write_site,
)
from engine.catalogue import Power, processes, read_power
from engine.errors import ConfigError
from engine.xmlsafe import parse_bpmn_bytes


def power_xml(code: str, name: str, unit: str, category: str = "行政许可", *, public: bool = True,
              deemed: bool = False) -> bytes:
    non_public = ("" if public else
                  '<sunshine:nonPublic reason="涉及国家秘密" basis="《保守国家秘密法》第九条" '
                  'filingNo="县不公开备字〔2025〕第7号" filedWith="县政务公开办公室" filedOn="2025-04-01"/>')
    timer = ("""<bpmn:boundaryEvent id="deemed" name="超时默许" attachedToRef="decide"
        sunshine:deadline="promised"><bpmn:timerEventDefinition /></bpmn:boundaryEvent>
      <bpmn:endEvent id="deemed_end" name="视为准予" sunshine:result="deemed_approved" />
      <bpmn:sequenceFlow id="f9" sourceRef="deemed" targetRef="deemed_end" />""" if deemed else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0" id="D_{code}" targetNamespace="x">
  <bpmn:process id="p_{code.replace('-', '_')}" name="{name}" isExecutable="true">
    <bpmn:extensionElements>
      <sunshine:power code="{code}" name="{name}" shortName="测试" category="{category}" unit="{unit}"
          mode="承诺件" statutoryLimit="20" promisedLimit="8" deemedApproval="{str(deemed).lower()}"
          public="{str(public).lower()}">
        <sunshine:legalBasis>《中华人民共和国行政许可法》第十二条</sunshine:legalBasis>
        <sunshine:conditions>申请人具有完全民事行为能力；场所符合要求</sunshine:conditions>
        <sunshine:material name="申请书" key="true" />
        <sunshine:material name="场所平面图" key="false" />
        <sunshine:material name="安全承诺书" key="true" commitment="true" />
        <sunshine:fee name="不收费" basis="" />
        <sunshine:leader>赵副局长</sunshine:leader>
        <sunshine:section>审批科</sunshine:section>
        <sunshine:address>县政务服务中心一楼 8 号窗口</sunshine:address>
        <sunshine:hours>工作日 9:00-17:00</sunshine:hours>
        <sunshine:consultPhone>0000-1110001</sunshine:consultPhone>
        <sunshine:complaintPhone>0000-12345</sunshine:complaintPhone>
        <sunshine:result name="{name}决定书" validityYears="3" />
        <sunshine:post name="窗口受理岗">受理申请</sunshine:post>
        <sunshine:post name="审批岗">作出决定</sunshine:post>
        {non_public}
      </sunshine:power>
    </bpmn:extensionElements>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L1" name="窗口受理岗">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>accept</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ok</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L2" name="审批岗">
        <bpmn:flowNodeRef>test</bpmn:flowNodeRef><bpmn:flowNodeRef>decide</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s" name="申请" />
    <bpmn:userTask id="accept" name="受理" sunshine:timeLimit="1" sunshine:step="acceptance" />
    <bpmn:userTask id="test" name="现场检测" sunshine:timeLimit="3" sunshine:counted="false"
        sunshine:special="检测" />
    <bpmn:userTask id="decide" name="审批决定" sunshine:timeLimit="2" sunshine:step="decision" />
    <bpmn:endEvent id="ok" name="办结" sunshine:result="approved" />
    {timer}
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="accept" />
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="test" />
    <bpmn:sequenceFlow id="f3" sourceRef="test" targetRef="decide" />
    <bpmn:sequenceFlow id="f4" sourceRef="decide" targetRef="ok" />
  </bpmn:process>
</bpmn:definitions>
""".encode()


def entry(data: bytes) -> tuple[Power, bytes]:
    power = read_power(processes(parse_bpmn_bytes(data))[0])
    assert power is not None
    return power, data


SECRET = "涉密载体制作审批"


@pytest.fixture(scope="module")
def entries() -> list[tuple[Power, bytes]]:
    return [
        entry(power_xml("XK-CS-001", "户外广告设置许可", "县城市管理局", deemed=True)),
        entry(power_xml("QR-SC-002", "个体工商户登记", "县市场监督管理局", "行政确认")),
        entry(power_xml("XK-SC-003", "食品小作坊登记", "县市场监督管理局")),
        entry(power_xml("XK-BM-004", SECRET, "县保密局", public=False)),
    ]


@pytest.fixture(scope="module")
def site(entries: list[tuple[Power, bytes]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    index = write_site(entries, out)
    assert index == out / "index.html"
    return out


class Page(HTMLParser):
    """Collects what the tests look at: links, ids, the doctype, lang and charset."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.doctype = ""
        self.lang = ""
        self.charset = False
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "meta" and a.get("charset", "").lower() == "utf-8":
            self.charset = True
        if "id" in a:
            self.ids.add(a["id"])
        for attr in ("href", "src", "xlink:href", "action", "data"):
            if attr in a:
                self.refs.append((tag, attr, a[attr]))
        if "style" in a and "url(" in a["style"]:
            self.refs.append((tag, "style", a["style"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def test_the_index_lists_every_public_power_and_not_the_non_public_one(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    for name in ("户外广告设置许可", "个体工商户登记", "食品小作坊登记"):
        assert name in index
    assert SECRET not in index and "XK-BM-004" not in index
    # grouped by unit, then by category
    assert index.index("县城市管理局") < index.index("户外广告设置许可")
    market = index.index('id="unit-2"')
    assert index.index("行政许可", market) < index.index("食品小作坊登记")
    assert index.index("行政确认", market) < index.index("个体工商户登记")


def test_a_non_public_power_appears_nowhere_in_the_site(site: Path) -> None:
    for path in sorted(site.rglob("*")):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
            assert "XK-BM-004" not in path.name


def test_every_link_in_every_page_resolves_to_a_file_of_the_site(site: Path) -> None:
    pages = html_files(site)
    assert len(pages) == 4  # the index and three public powers
    checked = 0
    for path in pages:
        page = parse(path)
        for _, _, ref in page.refs:
            url = urlparse(ref)
            assert not url.scheme and not url.netloc, f"{path.name}: external reference {ref}"
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            assert target.is_file(), f"{path.name}: {ref} does not exist"
            assert site.resolve() in target.parents or target == site.resolve()
            if url.fragment:
                assert url.fragment in parse(target).ids, f"{path.name}: no #{url.fragment}"
            checked += 1
    assert checked >= 10


def test_pages_are_html5_in_chinese_with_no_external_assets(site: Path) -> None:
    from lxml import html as lxml_html

    for path in html_files(site):
        text = path.read_text(encoding="utf-8")
        page = parse(path)
        assert page.doctype.lower() == "doctype html"
        assert page.lang == "zh-CN" and page.charset
        lxml_html.document_fromstring(text)  # parses
        for _, attr, ref in page.refs:
            assert not ref.startswith(("http:", "https:", "//")), (path.name, attr, ref)
        assert "<script" not in text and "@import" not in text and "@font-face" not in text
        assert "<link" not in text  # CSS is inline


def test_a_power_page_is_the_service_guide_with_its_flowchart(site: Path) -> None:
    page = (site / "powers" / "XK-CS-001.html").read_text(encoding="utf-8")
    for label in ("事项名称", "事项编码", "事项类别", "实施主体", "设定依据", "受理条件", "申请材料",
                  "收费标准及依据", "法定时限", "承诺时限", "办件类型", "超时默许", "主管领导 / 科室",
                  "办理地点", "办理时间", "咨询电话", "监督投诉电话", "审批结果"):
        assert label in page, label
    assert "《中华人民共和国行政许可法》第十二条" in page
    assert "8 个工作日" in page and "20 个工作日" in page
    assert "场所平面图" in page and "可容缺后补" in page and "可告知承诺" in page
    assert "赵副局长 / 审批科" in page and "0000-12345" in page
    text = "".join(parse(site / "powers" / "XK-CS-001.html").text)
    assert "现场检测窗口受理岗" not in text  # steps are in separate cells
    for cells in (["受理", "窗口受理岗", "1 个工作日", "计时"],
                  ["现场检测", "审批岗", "3 个工作日", "不计时（检测）"]):
        row = "".join(f"<td>{c}</td>" for c in cells)
        assert row in page, row
    assert "<svg" in page and "<?xml" not in page and "超时默许" in page
    assert (site / "powers" / "XK-CS-001.svg").read_bytes().startswith(b"<?xml")


@pytest.fixture(scope="module")
def card(entries: list[tuple[Power, bytes]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    power, data = entries[0]
    return write_card(power, parse_bpmn_bytes(data), tmp_path_factory.mktemp("card") / "c.pdf")


def test_the_card_is_a_one_page_a4_pdf_with_the_power_in_chinese(card: Path) -> None:
    assert card.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(card)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(card), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = text.replace(" ", "")
    for words in ("办事明白卡", "户外广告设置许可", "申请书", "受理条件", "承诺时限", "8个工作日",
                  "监督投诉电话", "0000-12345", "县政务服务中心一楼8号窗口", "审批决定"):
        assert words in flat, words


def test_the_card_is_the_same_file_every_time(entries: list[tuple[Power, bytes]],
                                              card: Path, tmp_path: Path) -> None:
    power, data = entries[0]
    again = write_card(power, data, tmp_path / "again.pdf")
    assert again.read_bytes() == card.read_bytes()


def test_a_card_for_a_non_public_power_is_refused(entries: list[tuple[Power, bytes]],
                                                  tmp_path: Path) -> None:
    power, data = entries[3]
    with pytest.raises(NotPublic, match="XK-BM-004"):
        write_card(power, data, tmp_path / "secret.pdf")
    assert not (tmp_path / "secret.pdf").exists()


def test_a_font_without_chinese_is_refused_with_the_fix(entries: list[tuple[Power, bytes]],
                                                        tmp_path: Path) -> None:
    power, data = entries[0]
    with pytest.raises(CJKFontNotFound, match="fonts-wqy-zenhei"):
        write_card(power, data, tmp_path / "c.pdf", font_path=str(tmp_path / "no-such-font.ttc"))
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if latin.is_file():
        with pytest.raises(CJKFontNotFound, match="no Chinese glyphs"):
            write_card(power, data, tmp_path / "c.pdf", font_path=str(latin))


@pytest.mark.parametrize("suffix", [".html", ".csv", ".md"])
def test_the_filing_list_names_the_non_public_power_with_its_reason_and_basis(
        entries: list[tuple[Power, bytes]], tmp_path: Path, suffix: str) -> None:
    out = write_filing(entries, tmp_path / f"filing{suffix}")
    text = out.read_text(encoding="utf-8-sig")
    for words in (SECRET, "XK-BM-004", "涉及国家秘密", "《保守国家秘密法》第九条",
                  "县不公开备字〔2025〕第7号", "县政务公开办公室", "2025-04-01"):
        assert words in text, words
    for public_name in ("户外广告设置许可", "个体工商户登记", "食品小作坊登记"):
        assert public_name not in text


def test_the_csv_filing_list_has_one_row_per_non_public_power(
        entries: list[tuple[Power, bytes]], tmp_path: Path) -> None:
    out = write_filing([p for p, _ in entries], tmp_path / "filing.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["事项编码", "事项名称"] and len(rows) == 2
    assert rows[1][0] == "XK-BM-004" and rows[1][4] == "涉及国家秘密"


def test_a_filing_list_with_an_unknown_extension_is_refused(
        entries: list[tuple[Power, bytes]], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.html, \*\.csv or \*\.md"):
        write_filing(entries, tmp_path / "filing.docx")


def test_export_all_writes_flowcharts_pages_and_cards_for_public_powers_only(
        entries: list[tuple[Power, bytes]], tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    result = export_all(entries, tmp_path, progress=lambda i, n, code: calls.append((i, n, code)))
    assert calls == [(1, 3, "XK-CS-001"), (2, 3, "QR-SC-002"), (3, 3, "XK-SC-003")]
    assert result.count == 3 and result.index == tmp_path / "index.html"
    for code in ("XK-CS-001", "QR-SC-002", "XK-SC-003"):
        assert (tmp_path / "flowcharts" / f"{code}.svg").read_bytes().startswith(b"<?xml")
        assert (tmp_path / "flowcharts" / f"{code}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "cards" / f"{code}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (tmp_path / "powers" / f"{code}.html").is_file()
    assert not list(tmp_path.rglob("*XK-BM-004*"))
    for path in html_files(tmp_path):
        for _, _, ref in parse(path).refs:
            url = urlparse(ref)
            assert (path.parent / unquote(url.path)).resolve().is_file() if url.path else True, ref
    page = (tmp_path / "powers" / "XK-CS-001.html").read_text(encoding="utf-8")
    assert "../cards/XK-CS-001.pdf" in page and "../flowcharts/XK-CS-001.png" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_export_all_over_the_shipped_processes_skips_non_public_ones(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "processes"
    shipped = []
    for path in sorted(root.glob("*.bpmn")):
        data = path.read_bytes()
        for proc in processes(parse_bpmn_bytes(data, str(path))):
            power = read_power(proc)
            if power is not None:
                shipped.append((power, data))
    assert len(shipped) >= 5
    result = export_all(shipped, tmp_path)
    assert result.count == len([p for p, _ in shipped if p.public])
    hidden = [p for p, _ in shipped if not p.public]
    everything = b"".join(f.read_bytes() for f in tmp_path.rglob("*.html"))
    for p in hidden:
        assert p.name.encode() not in everything


def too_large_xml(code: str) -> bytes:
    """A public power whose flowchart has more elements than one picture may hold."""
    many = "".join(f'<bpmn:userTask id="extra{i}" name="核查 {i}" sunshine:timeLimit="1" />'
                   for i in range(MAX_ELEMENTS))
    return power_xml(code, "大型建设项目联合审批", "县发展和改革局").replace(
        b'<bpmn:endEvent id="ok"', many.encode() + b'<bpmn:endEvent id="ok"')


def test_one_power_that_cannot_be_drawn_is_listed_as_such_and_the_site_goes_on(
        entries: list[tuple[Power, bytes]], tmp_path: Path) -> None:
    catalogue = [*entries, entry(too_large_xml("XK-FG-099"))]
    heard: list[tuple[str, str]] = []
    index = write_site(catalogue, tmp_path, on_undrawn=lambda code, why: heard.append((code, why)))
    assert [code for code, _ in heard] == ["XK-FG-099"] and "流程元素过多" in heard[0][1]
    listing = index.read_text(encoding="utf-8")
    row = next(r for r in listing.split("<tr>") if "大型建设项目联合审批" in r)
    assert "流程图暂无法自动生成" in row
    assert listing.count("流程图暂无法自动生成") == 1  # the others are drawn
    page = (tmp_path / "powers" / "XK-FG-099.html").read_text(encoding="utf-8")
    assert "流程图暂无法自动生成（原因：流程元素过多" in page and "<svg" not in page
    assert not (tmp_path / "powers" / "XK-FG-099.svg").exists()
    for code in ("XK-CS-001", "QR-SC-002", "XK-SC-003"):
        assert "<svg" in (tmp_path / "powers" / f"{code}.html").read_text(encoding="utf-8")
    for path in html_files(tmp_path):  # no link to a chart that was not written
        for _, _, ref in parse(path).refs:
            url = urlparse(ref)
            assert (path.parent / unquote(url.path)).resolve().is_file() if url.path else True


def test_the_export_goes_on_past_a_power_that_cannot_be_drawn_and_names_it(
        entries: list[tuple[Power, bytes]], tmp_path: Path) -> None:
    catalogue = [entry(too_large_xml("XK-FG-099")), *entries]
    result = export_all(catalogue, tmp_path)
    assert result.count == 4
    [(code, why)] = result.undrawn
    assert code == "XK-FG-099" and f"at most {MAX_ELEMENTS}" in why
    assert (tmp_path / "cards" / "XK-FG-099.pdf").read_bytes()[:5] == b"%PDF-"  # card, no chart
    assert not (tmp_path / "flowcharts" / "XK-FG-099.svg").exists()
    for code in ("XK-CS-001", "QR-SC-002", "XK-SC-003"):
        assert (tmp_path / "flowcharts" / f"{code}.png").read_bytes()[:4] == b"\x89PNG"
    for path in html_files(tmp_path):
        for _, _, ref in parse(path).refs:
            url = urlparse(ref)
            assert (path.parent / unquote(url.path)).resolve().is_file() if url.path else True
