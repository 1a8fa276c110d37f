"""The narratives of the situation report: a tiny, safe subset of Markdown.

Paragraphs separated by blank lines, single line breaks kept, bullets (lines starting with
"- "), **bold**, and [links](https://…) to http and https addresses only. Everything else is
shown as the author typed it: the text is escaped before any markup is added, so no HTML an
author writes ever reaches the page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

BLANK_LINE = re.compile(r"\n[ \t]*\n")
LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
BULLET = "- "
# Digit groups a person separated by a space ("USD 330 000", "1 300 personas"): a space that a
# narrow screen may turn into a line break in the middle of a number.
SPACED_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u2009\u202f]\d{3})+)(?![\d])")
NO_BREAK_SPACE = "\u00a0"


def whole_numbers(text: str) -> str:
    """Return `text` with the spaces between a number's digit groups made no-break spaces, so
    that a number someone typed as "330 000" is never split across two lines."""
    return SPACED_GROUPS.sub(
        lambda m: m.group(1) + re.sub(r"[ \u2009\u202f]", NO_BREAK_SPACE, m.group(2)), text or "")


def render_narrative(text: str) -> SafeString:
    """Return `text` as HTML: paragraphs, line breaks, bullet lists, bold and web links."""
    text = whole_numbers((text or "").replace("\r\n", "\n").replace("\r", "\n").strip())
    if not text:
        return mark_safe("")
    blocks = []
    for block in BLANK_LINE.split(text):
        blocks.extend(_render_block(block.strip("\n")))
    return mark_safe("\n".join(blocks))


def _render_block(block: str) -> list[str]:
    """Return the HTML of one blank-line-separated block: paragraphs and lists, in order."""
    html: list[str] = []
    group: list[str] = []
    in_list = False
    for line in block.split("\n"):
        is_item = line.lstrip().startswith(BULLET)
        if group and is_item != in_list:
            html.append(_render_group(group, in_list))
            group = []
        in_list = is_item
        group.append(line.lstrip()[len(BULLET):] if is_item else line.strip())
    if group:
        html.append(_render_group(group, in_list))
    return html


def _render_group(lines: list[str], is_list: bool) -> str:
    if is_list:
        return "<ul>" + "".join(f"<li>{_inline(item.strip())}</li>" for item in lines) + "</ul>"
    return "<p>" + "<br>\n".join(_inline(line) for line in lines) + "</p>"


def _inline(text: str) -> str:
    """Return one line escaped, with its web links and bold made HTML."""
    parts = []
    position = 0
    for match in LINK.finditer(text):
        parts.append(_bold(escape(text[position:match.start()])))
        label, url = match.groups()
        if _is_web_address(url):
            parts.append(format_html('<a href="{}">{}</a>', url, mark_safe(_bold(escape(label)))))
        else:
            parts.append(_bold(escape(match.group(0))))
        position = match.end()
    parts.append(_bold(escape(text[position:])))
    return "".join(parts)


def _bold(escaped: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escaped)


def _is_web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
