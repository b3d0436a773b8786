"""Parsing BPMN XML as untrusted input: no entities, no network, bounded size.

Every BPMN file comes from outside (a designer's laptop, Camunda Modeler, an upload), so it is
parsed with entity resolution and network access off and a size bound, and a parse error is
turned into a DefinitionError that names the file and the line.

What is refused, each with what to do instead (tests/reliability/hostile_bpmn.py pushes each
through lint, the flowchart, deploy and the web upload): a file over ``MAX_BPMN_BYTES`` (on disk,
before it is read), a DOCTYPE or entity declaration (external entities, entity bombs, external
DTDs), XInclude elements, nesting deeper than libxml2's 256 levels, an encoding that is unknown
or that the bytes contradict (a file declared GBK holding UTF-8), bytes invalid in the file's
encoding, a root other than ``bpmn:definitions``, two BPMN elements with one id and more than
``MAX_ELEMENTS`` elements.
"""

from __future__ import annotations

import codecs
import os
import re

from lxml import etree

from engine.errors import DefinitionError

MAX_BPMN_BYTES = 5 * 1024 * 1024
# SpiffWorkflow's parser takes time quadratic in the number of elements of a process (a
# 50,000-task file ran for many minutes), so a file is refused above this many BPMN elements
# with an id (tasks, events, gateways, flows, lanes …) — a real power has a few hundred at most.
MAX_ELEMENTS = 5000
# Names end up in case lists, notices, the public flowchart and the catalogue.
MAX_NAME_LENGTH = 200

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SUNSHINE_NS = "https://sunshine.gov.cn/schema/bpmn/1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "sunshine": SUNSHINE_NS}


def bpmn(tag: str) -> str:
    """The Clark name of a BPMN element, e.g. ``bpmn("userTask")``."""
    return f"{{{BPMN_NS}}}{tag}"


def sun(name: str) -> str:
    """The Clark name of a Sunshine attribute or element."""
    return f"{{{SUNSHINE_NS}}}{name}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


XINCLUDE_NS = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
XINCLUDE_NS_PREFIXES = tuple(f"{{{ns}}}" for ns in XINCLUDE_NS)
MAX_DEPTH = 256  # libxml2's own bound without XML_PARSE_HUGE
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']{1,60})["']""")
_CHINESE = ("gbk", "gb2312", "gb18030")
_SAVE_AS_UTF8 = ("open it in Camunda Modeler or bpmn.io (or an editor that can choose the "
                 "encoding) and save it as UTF-8")


def _size_refused(size: int, file: str) -> DefinitionError:
    return DefinitionError(
        f"file is {size:,} bytes; the limit is {MAX_BPMN_BYTES:,} bytes "
        f"({MAX_BPMN_BYTES // (1024 * 1024)} MB) — split the file or remove embedded images",
        file=file,
    )


def _declared_encoding(data: bytes) -> str | None:
    """The encoding named in the XML declaration, read as ASCII (or UTF-16 when the file
    starts as UTF-16 does); None when there is none."""
    head = data[:400]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:4] in (
            b"<\x00?\x00", b"\x00<\x00?"):
        return None  # UTF-16: libxml2 reads it from its byte pattern, whatever it declares
    head = head.removeprefix(codecs.BOM_UTF8)
    found = _DECLARED.match(head)
    return found.group(1).decode("ascii", "replace") if found else None


def _check_encoding(data: bytes, file: str) -> None:
    """Refuse an encoding nobody knows, and a Chinese encoding the bytes contradict (a file
    saved as UTF-8 by a modeler, its declaration edited to GBK: every name would be garbled)."""
    declared = _declared_encoding(data)
    if declared is None:
        return
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise DefinitionError(
            f'the file declares encoding="{declared}", which is not a known character '
            f'encoding — {_SAVE_AS_UTF8}, with encoding="UTF-8" in its first line',
            file=file,
        ) from None
    if name in _CHINESE and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return  # really GBK bytes
        raise DefinitionError(
            f'the file declares encoding="{declared}" but its bytes are UTF-8 (as modelers '
            f'save files): every Chinese name would be read garbled — change the first line '
            f'to encoding="UTF-8"',
            file=file,
        )


def _syntax_refused(err: etree.XMLSyntaxError, data: bytes, file: str) -> DefinitionError:
    line = getattr(err, "lineno", None)
    where = f"line {line}: " if line else ""
    msg = str(err.msg)
    if "Excessive depth" in msg:
        return DefinitionError(
            f"{where}elements are nested more than {MAX_DEPTH} levels deep; a BPMN file nests "
            f"a few levels — remove the nested elements (open the file in a BPMN modeler and "
            f"save it again)",
            file=file,
        )
    if "Unsupported encoding" in msg:
        return DefinitionError(
            f"{where}the file declares an encoding the XML parser cannot read "
            f"({msg.split(',', 1)[0]}) — {_SAVE_AS_UTF8}",
            file=file,
        )
    if "Invalid bytes in character encoding" in msg or "not proper UTF-8" in msg:
        encoding = _declared_encoding(data) or "UTF-8"
        col = err.position[1] if getattr(err, "position", None) else None
        at = f"line {line}, column {col}" if line and col else (f"line {line}" if line else "")
        return DefinitionError(
            f"{at + ': ' if at else ''}bytes that are not valid {encoding} (the file was saved "
            f"in another encoding, or damaged) — {_SAVE_AS_UTF8}",
            file=file,
        )
    return DefinitionError(
        f"not well-formed XML ({where}{msg}) — open the file in a BPMN modeler or an XML "
        f"editor and fix it there",
        file=file,
    )


def _doctype_refused(file: str) -> DefinitionError:
    return DefinitionError(
        "the file declares a DOCTYPE or entities, which BPMN does not use and which are "
        "refused for safety — remove the <!DOCTYPE …> block",
        file=file,
    )


def parse_bpmn_bytes(data: bytes, file: str = "<bpmn>") -> etree._ElementTree:
    """Parse BPMN bytes safely; raise DefinitionError (with file and line) on anything wrong."""
    if len(data) > MAX_BPMN_BYTES:
        raise _size_refused(len(data), file)
    if b"<!ENTITY" in data[:4096] or b"<!DOCTYPE" in data[:4096]:
        raise _doctype_refused(file)
    _check_encoding(data, file)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as err:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data or "amplification" in str(err.msg):
            raise _doctype_refused(file) from None  # e.g. libxml2 stopping an entity bomb
        raise _syntax_refused(err, data, file) from None
    # The byte check above is only a fast path: a DOCTYPE behind a long comment, or in a
    # UTF-16 file, gets past it. What the parser saw is the authority.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _doctype_refused(file)
    root = tree.getroot()
    if root.tag != bpmn("definitions"):
        raise DefinitionError(
            f"not a BPMN 2.0 file: the root element is <{etree.QName(root).localname}>, expected "
            f"<bpmn:definitions> in namespace {BPMN_NS} — export the process as BPMN 2.0 XML "
            f"from the modeler (a DMN table or a form is not a process)",
            file=file,
        )
    count = 0
    seen: dict[str, etree._Element] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.startswith(XINCLUDE_NS_PREFIXES):
            raise DefinitionError(
                f"line {el.sourceline}: <{etree.QName(el).localname}> from XInclude asks for "
                f"another file ({el.get('href') or 'no href'}), which is refused for safety: "
                f"Sunshine never fetches files named in a BPMN file — remove the element and "
                f"write its text into the file itself",
                file=file,
            )
        ident = el.get("id")
        if ident and el.tag.startswith(f"{{{BPMN_NS}}}"):
            count += 1
            first = seen.setdefault(ident, el)
            if first is not el:  # flows, lanes and the diagram would point at either
                raise DefinitionError(
                    f"line {el.sourceline}: the id {ident[:100]!r} is used twice, by "
                    f"<{etree.QName(first).localname}> on line {first.sourceline} and by "
                    f"<{etree.QName(el).localname}> on line {el.sourceline}; ids must be unique "
                    f"in a file — give one of them another id in the modeler",
                    file=file,
                )
    if count > MAX_ELEMENTS:
        raise DefinitionError(
            f"the file has {count:,} BPMN elements; the limit is {MAX_ELEMENTS:,} (checking and "
            f"drawing cost grows with the square of it) — split the process into smaller "
            f"powers or call activities, each in its own file",
            file=file,
        )
    return tree


def read_bpmn_file(path: str) -> tuple[bytes, etree._ElementTree]:
    """Read and safely parse a BPMN file from disk."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size  # refused before a byte is read
            if size > MAX_BPMN_BYTES:
                raise _size_refused(size, path)
            data = fh.read(MAX_BPMN_BYTES + 1)  # a pipe or device has no size: read a bound
    except OSError as err:
        raise DefinitionError(f"cannot read the file: {err.strerror}", file=path) from None
    return data, parse_bpmn_bytes(data, file=path)
