"""Check the manual's links: `python3 docs/check_links.py` (also `make docs-check`, part of `make lint`).

Every relative Markdown link or image in README.md and docs/*.md must point to a file that exists, and a
`#anchor` must name a heading of its target file (GitHub's anchor rules). Every docs/*.md file must be
linked from README.md. Standard library only; exit status 1 with one line per broken link.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def prose(text: str) -> str:
    """The text outside fenced code blocks and inline code spans."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(out)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered."""
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        if fenced or not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def check(md: Path) -> list[str]:
    errors = []
    for target in LINK.findall(prose(md.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: …
            continue
        file_part, _, anchor = target.partition("#")
        dest = (md.parent / file_part).resolve() if file_part else md
        where = f"{md.relative_to(ROOT)}: ({target})"
        if not dest.exists():
            errors.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            errors.append(f"{where}: no heading with anchor #{anchor}")
    return errors


def main() -> int:
    readme = ROOT / "README.md"
    docs = sorted((ROOT / "docs").glob("*.md"))
    errors = [e for md in [readme, *docs] for e in check(md)]
    linked = {t.partition("#")[0] for t in LINK.findall(prose(readme.read_text(encoding="utf-8")))}
    errors += [f"README.md: docs/{d.name} is not linked" for d in docs if f"docs/{d.name}" not in linked]
    for line in errors:
        print(line)
    print(f"{len(errors)} broken link(s) in README.md and {len(docs)} docs files")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
