"""Parsing BPMN XML as untrusted input: no entities, no network, bounded size.

Every BPMN file comes from outside (a designer's laptop, Camunda Modeler, an upload), so it is
parsed with entity resolution and network access off and a size bound, and a parse error is
turned into a DefinitionError that names the file and the line.
"""

from __future__ import annotations

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


def _doctype_refused(file: str) -> DefinitionError:
    return DefinitionError(
        "the file declares a DOCTYPE or entities, which BPMN does not use and which are "
        "refused for safety — remove the <!DOCTYPE …> block",
        file=file,
    )


def parse_bpmn_bytes(data: bytes, file: str = "<bpmn>") -> etree._ElementTree:
    """Parse BPMN bytes safely; raise DefinitionError (with file and line) on anything wrong."""
    if len(data) > MAX_BPMN_BYTES:
        raise DefinitionError(
            f"file is {len(data)} bytes; the limit is {MAX_BPMN_BYTES} bytes — split the file "
            f"or remove embedded images",
            file=file,
        )
    if b"<!ENTITY" in data[:4096] or b"<!DOCTYPE" in data[:4096]:
        raise _doctype_refused(file)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as err:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data or "amplification" in str(err.msg):
            raise _doctype_refused(file) from None  # e.g. libxml2 stopping an entity bomb
        line = getattr(err, "lineno", None)
        where = f"line {line}: " if line else ""
        raise DefinitionError(
            f"not well-formed XML ({where}{err.msg}) — open the file in a BPMN modeler or an XML "
            f"editor and fix it there",
            file=file,
        ) from None
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
    count = sum(1 for el in root.iter() if isinstance(el.tag, str) and el.get("id")
                and el.tag.startswith(f"{{{BPMN_NS}}}"))
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
            data = fh.read(MAX_BPMN_BYTES + 1)
    except OSError as err:
        raise DefinitionError(f"cannot read the file: {err.strerror}", file=path) from None
    return data, parse_bpmn_bytes(data, file=path)
