"""User text inside Markdown, shown as text.

Streamlit renders Markdown in `st.markdown`, captions, alerts, and the option labels of pills and
radios: a sentence holding `![x](http://host/beacon.png)` would make every viewer's browser fetch
that address, `[click](javascript:…)` would become a link, and `:red[…]`, `:material/…:` or `$…$`
would change how it looks. CommonMark makes any backslash-escaped ASCII punctuation literal; `md`
escapes each character where it could open a construct — a link, image, autolink, HTML tag,
entity, emphasis, code, math, table, heading, quote, list or one of Streamlit's `:directive:`s — and
leaves ordinary punctuation (`'x' in ['a', 'b'].`, `key: value`) as it is, so messages still read
the same in tests and logs.
"""

from __future__ import annotations

import re

_INLINE = re.compile(
    r"[\\`*_<>$~|&]"  # escapes, code, emphasis, HTML and autolinks, math, strikethrough, tables, entities
    r"|!(?=\[)"  # an image: ![
    r"|\](?=[(\[:])"  # a link or reference: ](  ][  ]:
    r"|:(?=[^\s\d])"  # Streamlit's :red[…] / :material/…: / :emoji: and URL schemes (http://)
)
_LINE_START = re.compile(r"^(\s*)([#>\[=+-]|\d+(?=[.)]))")  # headings, quotes, definitions, setext, lists


def _line(line: str) -> str:
    line = _INLINE.sub(lambda m: "\\" + m.group(0), line)
    start = _LINE_START.match(line)
    if start is None:
        return line
    if start.group(2)[0].isdigit():  # "1." → "1\."
        return f"{line[: start.end()]}\\{line[start.end() :]}"
    return f"{start.group(1)}\\{line[start.end(1) :]}"


def md(text: object) -> str:
    """`text` with every Markdown-opening character backslash-escaped, so it shows as typed.

    Line breaks are kept as line breaks (two trailing spaces), and every line is escaped the same way,
    so none can start a heading, quote or list either.
    """
    return "  \n".join(_line(line) for line in str(text).splitlines() or [""])
