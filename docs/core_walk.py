"""Count the lines a learner reads to follow ``(x * y).sum().backward()`` through the engine.

    PYTHONPATH=. python docs/core_walk.py [FILE ...]      (default: the core walk, then every
                                                          engine file the walk runs code in)

For each file: all lines, code lines (no blank lines, comments or docstrings), and the code
lines of the functions the walk actually runs (found with ``sys.settrace``; a function counts
whole, signature to last line, since that is what a reader reads). The numbers go into
``docs/core_walk.md``. Only the standard library and the engine are needed.
"""
from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALK = ["tinygrad_edu/tensor.py", "tinygrad_edu/autograd.py", "tinygrad_edu/ops/binary.py"]


def code_lines(path: Path) -> set[int]:
    """Line numbers holding code: not blank, not only a comment, not part of a docstring."""
    source = path.read_text()
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
            lines.update(range(tok.start[0], tok.end[0] + 1))
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            lines -= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def function_spans(path: Path) -> dict[int, set[int]]:
    """First line of each def (its first decorator, as ``co_firstlineno`` counts) -> the lines a
    reader reads for it: the def itself, plus its class's header and class-level statements."""
    spans = {}

    def visit(node, owner: set[int]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                header = {child.lineno}
                for stmt in child.body:
                    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        header |= set(range(stmt.lineno, stmt.end_lineno + 1))
                visit(child, header)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans[first] = set(range(first, child.end_lineno + 1)) | owner
                visit(child, owner)

    visit(ast.parse(path.read_text()), set())
    return spans


def walk_lines(files: list[Path]) -> dict[Path, set[int]]:
    """Code lines of every function in ``files`` that ``(x * y).sum().backward()`` runs."""
    import tinygrad_edu as torch
    x = torch.randn(3, requires_grad=True)
    y = torch.randn(3, requires_grad=True)
    (x * y).sum()  # once untraced: imports and first-call caches are not part of the walk
    called: set[tuple[str, int]] = set()

    def tracer(frame, event, arg):
        if event == "call":
            called.add((frame.f_code.co_filename, frame.f_code.co_firstlineno))
        return None

    sys.settrace(tracer)
    try:
        (x * y).sum().backward()
    finally:
        sys.settrace(None)
    result = {}
    for path in files:
        spans, code = function_spans(path), code_lines(path)
        used = set()
        for filename, first in called:
            if Path(filename).resolve() == path.resolve() and first in spans:
                used |= spans[first] & code
        result[path] = used
    return result


def table(files: list[Path]) -> None:
    used = walk_lines(files)
    print(f"{'file':40} {'lines':>6} {'code':>6} {'walk':>6}")
    totals = [0, 0, 0]
    for path in files:
        row = [len(path.read_text().splitlines()), len(code_lines(path)), len(used[path])]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"{str(path.relative_to(ROOT)):40} {row[0]:>6} {row[1]:>6} {row[2]:>6}")
    print(f"{'total':40} {totals[0]:>6} {totals[1]:>6} {totals[2]:>6}")


def main(names: list[str]) -> None:
    if names:
        table([ROOT / n for n in names])
        return
    table([ROOT / n for n in WALK])
    engine = sorted((ROOT / "tinygrad_edu").rglob("*.py"))
    touched = [p for p, lines in walk_lines(engine).items() if lines]
    print("\nevery engine file the walk runs code in:")
    table(touched)


if __name__ == "__main__":
    main(sys.argv[1:])
