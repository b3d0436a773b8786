"""BPMN XML is untrusted input (engine.xmlsafe): no DOCTYPE or entities however they are
hidden, a size bound, only BPMN 2.0 roots, and a parse error that names the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.errors import DefinitionError
from engine.xmlsafe import MAX_BPMN_BYTES, bpmn, parse_bpmn_bytes, read_bpmn_file

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tests" / "fixtures" / "bpmn" / "lint"
XXE = (LINT / "xxe_entity.bpmn").read_bytes()
VALID = (LINT / "valid_minimal.bpmn").read_bytes()

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&lol9;"/>
</bpmn:definitions>
"""


def _refused_doctype(data: bytes) -> DefinitionError:
    with pytest.raises(DefinitionError) as err:
        parse_bpmn_bytes(data, "upload.bpmn")
    assert "DOCTYPE" in str(err.value) and "remove" in str(err.value)
    assert err.value.file == "upload.bpmn"
    return err.value


def _behind_a_comment(data: bytes) -> bytes:
    at = data.index(b"<!DOCTYPE")
    return data[:at] + b"<!--" + b" padding" * 1000 + b"-->\n" + data[at:]


def test_a_valid_bpmn_file_parses() -> None:
    tree = parse_bpmn_bytes(VALID, "valid.bpmn")
    assert tree.getroot().tag == bpmn("definitions")


def test_an_external_entity_file_is_refused() -> None:
    _refused_doctype(XXE)


def test_a_doctype_hidden_behind_a_long_comment_is_refused() -> None:
    _refused_doctype(_behind_a_comment(XXE))


def test_a_doctype_in_a_utf16_file_is_refused() -> None:
    text = XXE.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    _refused_doctype(text.encode("utf-16"))


def test_an_entity_expansion_bomb_is_refused_quickly_even_when_hidden() -> None:
    started = time.monotonic()
    _refused_doctype(LAUGHS)
    _refused_doctype(_behind_a_comment(LAUGHS))
    assert time.monotonic() - started < 2


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = VALID + b"<!--" + b"x" * (MAX_BPMN_BYTES - len(VALID)) + b"-->"
    with pytest.raises(DefinitionError, match="the limit is") as err:
        parse_bpmn_bytes(data, "huge.bpmn")
    assert err.value.file == "huge.bpmn"


def test_an_oversize_file_on_disk_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.bpmn"
    data = VALID + b"<!--" + b"x" * (2 * MAX_BPMN_BYTES) + b"-->"
    path.write_bytes(data)
    with pytest.raises(DefinitionError, match=f"file is {len(data):,} bytes; the limit is "
                                              f"{MAX_BPMN_BYTES:,} bytes"):
        read_bpmn_file(str(path))  # its size on disk, not what a bounded read would give


def test_a_file_at_the_size_limit_is_accepted() -> None:
    data = VALID + b"<!--" + b"x" * (MAX_BPMN_BYTES - len(VALID) - 7) + b"-->"
    assert len(data) == MAX_BPMN_BYTES
    parse_bpmn_bytes(data, "big.bpmn")


def test_a_file_whose_root_is_not_bpmn_definitions_is_refused() -> None:
    with pytest.raises(DefinitionError, match="not a BPMN 2.0 file") as err:
        parse_bpmn_bytes((LINT / "not_bpmn.bpmn").read_bytes(), "dmn.bpmn")
    assert "<definitions>" in str(err.value) and "bpmn:definitions" in str(err.value)


def test_a_bpmn_element_other_than_definitions_at_the_root_is_refused() -> None:
    data = (b'<bpmn:process xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            b'id="p" isExecutable="true"/>')
    with pytest.raises(DefinitionError, match="the root element is <process>"):
        parse_bpmn_bytes(data)


def test_malformed_xml_is_refused_with_its_line_number() -> None:
    with pytest.raises(DefinitionError) as err:
        parse_bpmn_bytes((LINT / "malformed_xml.bpmn").read_bytes(), "cut.bpmn")
    assert "not well-formed XML (line 57" in str(err.value)
    assert str(err.value).startswith("cut.bpmn: ")


def test_a_mismatched_tag_names_its_line() -> None:
    data = b'<?xml version="1.0"?>\n<a>\n<b>\n</a>\n'
    with pytest.raises(DefinitionError, match=r"line 4"):
        parse_bpmn_bytes(data)


def test_an_unreadable_path_is_a_definition_error_naming_the_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.bpmn")
    with pytest.raises(DefinitionError, match="cannot read the file") as err:
        read_bpmn_file(missing)
    assert err.value.file == missing


def test_an_undefined_entity_without_a_doctype_is_a_parse_error_with_its_line() -> None:
    data = VALID.replace("《测试条例》第一条".encode(), "《测试条例》&nbsp;第一条".encode())
    with pytest.raises(DefinitionError, match=r"not well-formed XML \(line \d+: Entity 'nbsp'"):
        parse_bpmn_bytes(data)


def test_an_xinclude_is_refused_naming_its_line_and_what_it_asks_for() -> None:
    data = VALID.replace(b"xmlns:bpmn=", b'xmlns:xi="http://www.w3.org/2001/XInclude" xmlns:bpmn=', 1)
    data = data.replace(b"<bpmn:laneSet ", b'<bpmn:documentation><xi:include href="file:///etc/'
                        b'passwd" parse="text"/></bpmn:documentation><bpmn:laneSet ', 1)
    with pytest.raises(DefinitionError, match=r"line \d+: <include> from XInclude asks for "
                                              r"another file \(file:///etc/passwd\)") as err:
        parse_bpmn_bytes(data, "xi.bpmn")
    assert "remove the element" in str(err.value)


def test_nesting_past_256_levels_is_refused_as_nesting_not_as_bad_xml() -> None:
    deep = b"<sunshine:x>" * 10_000 + b"</sunshine:x>" * 10_000
    data = VALID.replace(b"<sunshine:legalBasis>", deep + b"<sunshine:legalBasis>", 1)
    with pytest.raises(DefinitionError, match=r"line \d+: elements are nested more than 256 "
                                              r"levels deep") as err:
        parse_bpmn_bytes(data)
    assert "XML_PARSE_HUGE" not in str(err.value)


def test_a_file_declared_gbk_whose_bytes_are_utf8_is_refused_before_names_are_garbled() -> None:
    data = VALID.replace(b'encoding="UTF-8"', b'encoding="GBK"', 1)
    with pytest.raises(DefinitionError, match=r'declares encoding="GBK" but its bytes are UTF-8'):
        parse_bpmn_bytes(data)


def test_a_file_really_in_gbk_is_read_with_its_chinese_names() -> None:
    text = VALID.decode("utf-8").replace('encoding="UTF-8"', 'encoding="GBK"', 1)
    tree = parse_bpmn_bytes(text.encode("gbk"))
    assert tree.getroot().find(f".//{bpmn('process')}").get("name") == "测试许可"


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_utf16_is_read_with_or_without_a_byte_order_mark(bom: bool) -> None:
    text = VALID.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    data = (b"\xff\xfe" if bom else b"") + text.encode("utf-16-le")
    tree = parse_bpmn_bytes(data)
    assert tree.getroot().find(f".//{bpmn('process')}").get("name") == "测试许可"


def test_an_unknown_encoding_is_refused_naming_it() -> None:
    data = VALID.replace(b'encoding="UTF-8"', b'encoding="x-klingon"', 1)
    with pytest.raises(DefinitionError, match=r'encoding="x-klingon", which is not a known '
                                              r'character encoding — .*save it as UTF-8'):
        parse_bpmn_bytes(data)


def test_bytes_invalid_in_utf8_name_their_line_and_column() -> None:
    data = VALID.replace("审批决定".encode(), b"\xff\xfe\xc0\xaf", 1)
    with pytest.raises(DefinitionError, match=r"line \d+, column \d+: bytes that are not valid "
                                              r"UTF-8 .*save it as UTF-8"):
        parse_bpmn_bytes(data)


def test_two_bpmn_elements_with_one_id_are_refused_naming_both_lines() -> None:
    data = VALID.replace(b'<bpmn:userTask id="Activity_certificate"',
                         b'<bpmn:userTask id="Activity_accept"', 1)
    with pytest.raises(DefinitionError, match=r"line (\d+): the id 'Activity_accept' is used "
                                              r"twice, by <userTask> on line \d+ and by "
                                              r"<userTask> on line \1; ids must be unique"):
        parse_bpmn_bytes(data)
