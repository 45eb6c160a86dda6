"""Reading the document: the hardened XML reader (size cap, no DTD, no network) that turns the
config text into elements with their line numbers and the offsets of their opening tags.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from projects.labeling_config.types import CONTROL_TAGS, MAX_CONFIG_BYTES, ConfigError


@dataclass(frozen=True)
class Element:
    element: Any  # etree.Element; kept as Any because lxml ships no type stubs here
    tag: str
    line: int
    span: tuple[int, int] | None  # offsets of the opening tag in the config text
    control: int | None  # index of the nearest enclosing <Labels>/<Choices>, if any


@dataclass(frozen=True)
class _Document:
    elements: list[Element]  # document order; elements[0] is the root


# Items allowed before the root element besides a DOCTYPE: a BOM, whitespace, the XML
# declaration and other processing instructions, comments.
_PROLOG_ITEM = re.compile(r"\ufeff|\s+|<\?.*?\?>|<!--.*?-->", re.S)

# Markup of a well-formed document, used to find each opening tag's text. Comments, CDATA and
# processing instructions are matched first so that tag-like text inside them is skipped.
_MARKUP = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|</[^>]*>"
    r"|<(?P<name>[^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>",
    re.S,
)


def _doctype_offset(xml: str) -> int | None:
    """Where a DOCTYPE starts in the prolog, found without handing anything to a parser."""
    position = 0
    while (match := _PROLOG_ITEM.match(xml, position)) and match.end() > position:
        position = match.end()
    return position if xml.startswith("<!DOCTYPE", position) else None


def read_config(xml: str) -> tuple[_Document | None, list[ConfigError]]:
    """Parse safely. Returns (None, []) for an empty config and (None, errors) when unreadable."""
    # Characters never outnumber UTF-8 bytes, so the cheap check first spares encoding a huge str.
    if len(xml) > MAX_CONFIG_BYTES or len(xml.encode("utf-8")) > MAX_CONFIG_BYTES:
        size = len(xml.encode("utf-8"))
        return None, [
            ConfigError(
                f"The labeling config is {size} bytes; at most {MAX_CONFIG_BYTES} bytes "
                f"({MAX_CONFIG_BYTES // 1024} KB) are allowed"
            )
        ]
    if not xml.strip():
        return None, []
    newlines = [match.start() for match in re.finditer("\n", xml)]

    def line_of(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    # A DTD is refused outright instead of parsed with entities disabled: that keeps external
    # entities (file://, http://) and expansion bombs away from libxml2 entirely.
    doctype = _doctype_offset(xml)
    if doctype is not None:
        return None, [ConfigError("DOCTYPE declarations are not allowed", line_of(doctype))]
    # A new parser per call: its error_log then holds this document's errors only.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        # The text is a Python str, so the bytes below are UTF-8 whatever the declaration says.
        encoding="utf-8",
    )
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        entries = [entry for entry in parser.error_log if entry.level >= etree.ErrorLevels.ERROR]
        if not entries:
            return None, [ConfigError(f"Malformed XML: {exc}")]
        return None, [
            ConfigError(f"Malformed XML: {entry.message}", entry.line or None) for entry in entries
        ]
    docinfo = root.getroottree().docinfo
    # Belt and braces: the prolog scan above should have caught any DOCTYPE already.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return None, [ConfigError("DOCTYPE declarations are not allowed", 1)]

    nodes = [node for node in root.iter() if isinstance(node.tag, str)]
    opening_tags = [match for match in _MARKUP.finditer(xml) if match.group("name")]
    located = len(opening_tags) == len(nodes) and all(
        match.group("name").rpartition(":")[2] == etree.QName(node).localname
        for match, node in zip(opening_tags, nodes, strict=False)
    )
    positions = {node: position for position, node in enumerate(nodes)}
    elements = []
    for position, node in enumerate(nodes):
        control = next((positions[a] for a in node.iterancestors() if a.tag in CONTROL_TAGS), None)
        if located:
            match = opening_tags[position]
            line, span = line_of(match.start()), (match.start(), match.end())
        else:
            # libxml2 reports the line where the opening tag ends; good enough as a fallback.
            line, span = node.sourceline or 1, None
        elements.append(Element(node, _display_tag(node), line, span, control))
    return _Document(elements), []


def _display_tag(node: Any) -> str:
    """The tag as the owner wrote it (a namespaced tag is never one of ours)."""
    qname = etree.QName(node)
    return f"{node.prefix}:{qname.localname}" if node.prefix else qname.localname
