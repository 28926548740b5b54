"""Keep the line links in docs/*.md pointing at the code they name.

A link like [`MatMul.backward`](../tinygrad_edu/ops/linalg.py#L21) names a definition in its
label (``name``, ``Class.name`` or ``name()``); this script finds that ``def``/``class`` in the
file and rewrites the ``#L`` anchor to its line:

    python docs/links.py          # rewrite the anchors
    python docs/links.py --check  # list stale or broken links, exit 1 if any (tests/test_docs.py)

Only the standard library is needed.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
LINK = re.compile(r"\[`(?P<label>[A-Za-z_][\w.]*)(?:\(\))?`\]\((?P<path>\.\./[^)#]+)#L(?P<line>\d+)\)")


def definition_line(path: Path, label: str) -> int | None:
    """The line of ``def``/``class`` ``label`` (``Class.name``: the first ``name`` inside ``Class``;
    ``package.module.name``: ``name`` in that module's file)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    parts = label.split(".")
    while len(parts) > 1 and parts[0] in (path.stem, *path.parent.parts):  # ops.linalg.Linear, autograd.backward
        parts.pop(0)
    *outer, name = parts
    start, indent = 0, -1
    for cls in outer:
        found = next((i for i, line in enumerate(lines) if re.match(rf"\s*class {cls}\b", line)), None)
        if found is None:
            return None
        start, indent = found + 1, len(lines[found]) - len(lines[found].lstrip())
    defines = re.compile(rf"\s*(?:async\s+)?(?:def|class) {name}\b|\s*{name} = ")
    if not outer:  # a top-level definition first, then any
        top = [i for i, line in enumerate(lines) if defines.match(line) and not line[0].isspace()]
        anywhere = [i for i, line in enumerate(lines) if defines.match(line)]
        found = top or anywhere
        return found[0] + 1 if found else None
    for i in range(start, len(lines)):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            return None  # left the class
        if defines.match(line):
            return i + 1
    return None


def fix(text: str, problems: list[str], where: str) -> str:
    def replace(m: re.Match) -> str:
        path = (DOCS / m["path"]).resolve()
        line = definition_line(path, m["label"]) if path.is_file() else None
        if line is None:
            problems.append(f"{where}: {m['label']} not found in {m['path']}")
            return m[0]
        if line != int(m["line"]):
            problems.append(f"{where}: {m['label']} is at line {line} of {m['path']}, the link says {m['line']}")
        return m[0].replace(f"#L{m['line']})", f"#L{line})")
    return LINK.sub(replace, text)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems: list[str] = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        new = fix(text, problems, doc.name)
        if not check and new != text:
            doc.write_text(new, encoding="utf-8")
    print("\n".join(problems) if problems else "every link points at its definition")
    return 1 if check and problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
