"""The appendix's R table sends readers to where each PyTorch form appears; check that each place shows it.

Every row of the table in ``docs/appendix/coming-from-r.md`` names PyTorch forms (the code spans of its
second column) and links to chapters or to sections of the appendix itself ("below"). Each form's
parts (a function such as ``torch.mm(``, a method such as ``.transpose(``, an attribute, an index such
as ``[:, 0, None]``, a keyword, an operator) must occur in the text of at least one linked place, with
imports resolved: ``from nnbook.data import split_data`` makes ``split_data(`` count as
``nnbook.data.split_data(``, and ``F.`` is ``torch.nn.functional.``. A method matches only when called
on something other than a module, so ``torch.relu(h)`` does not stand in for ``h.relu()``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "appendix" / "coming-from-r.md"

ALIASES = {"F": "torch.nn.functional", "nn": "torch.nn", "dist": "torch.distributed", "np": "numpy"}
"""The import aliases the table's forms use, as the book's pages import them."""
MODULES = {"torch", "numpy", "nnbook", "math", "random", "copy"}
NAME = r"[A-Za-z_]\w*"
CHAIN = re.compile(rf"(?<![\w.]){NAME}(?:\.{NAME})*(?:\()?")


def slugify(title: str) -> str:
    """A heading's id on a notebook page, as mkdocs-jupyter makes it (``mkdocs_jupyter.utils.slugify``)."""
    title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", title).strip().lower())


def resolve_imports(text: str, aliases: dict[str, str] | None = None) -> str:
    """``text`` with every imported alias and name written out as its full module path."""
    names = dict(aliases or {})
    for module, alias in re.findall(rf"^\s*import ({NAME}(?:\.{NAME})*) as ({NAME})", text, re.M):
        names[alias] = module
    for module, imported in re.findall(rf"^\s*from ({NAME}(?:\.{NAME})*) import ([\w, ]+)", text, re.M):
        for name in imported.split(","):
            name = name.strip().split(" as ")[0].strip()
            if name and name != module.split(".")[-1]:
                names[name] = f"{module}.{name}"
    for short, full in names.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}(?=[.(\[)])", full, text)
    return text


def parts(form: str) -> set[str]:
    """What must occur for ``form`` to appear: functions, methods, attributes, indexes, keywords, operators."""
    form = resolve_imports(form, ALIASES)
    found = set()
    for match in CHAIN.finditer(form):
        chain = match.group(0)
        head, *rest = chain.rstrip("(").split(".")
        if head in MODULES or head in {"print", "range", "dict", "copy"}:
            found.add(chain)
        elif rest:
            found.add("." + ".".join(rest) + ("(" if chain.endswith("(") else ""))
    for match in re.finditer(rf"(?<=[)\]])((?:\.{NAME})+\(?)", form):  # methods called on a result
        found.add(match.group(1))
    for match in re.finditer(r"(?<=[\w\)\]])\[(?:[^\[\]]|\[[^\[\]]*\])*\]( = \w+)?", form):
        found.add(match.group(0))
    found |= {f"{keyword}=" for keyword in re.findall(r"\b(\w+)=(?!=)", form)}
    found |= {op for op in (" @ ", "**", " -= ") if op in form}
    found |= {f"class ({base})" for base in re.findall(rf"class {NAME}\(([\w.]+)\)", form)}
    return found


def occurs(part: str, text: str) -> bool:
    """Whether ``part`` (from ``parts``) occurs in ``text``, a method only where it is not a module's function."""
    if part.startswith("class ("):
        base = part[7:-1].split(".")[-1]  # the base class, however it was imported
        return re.search(rf"class {NAME}\((?:[\w.]*\.)?{re.escape(base)}\)", text) is not None
    if part.startswith(".") and not part.startswith(".."):
        for match in re.finditer(re.escape(part) + (r"\b" if part[-1].isalnum() else ""), text):
            before = re.search(rf"((?:{NAME}\.)*{NAME})?$", text[: match.start()]).group(0) or ""
            if before.split(".")[0] not in MODULES or not all(p.isidentifier() for p in before.split(".")):
                return True
        return False
    if re.match(NAME, part):
        return re.search(rf"(?<![\w.]){re.escape(part)}", text) is not None
    return part in text


def sections(text: str) -> dict[str, str]:
    """Each heading's id on the built page and the text under it, up to the next heading."""
    found = {}
    pieces = re.split(r"^#{2,6} (.+)$", text, flags=re.M)
    for title, body in zip(pieces[1::2], pieces[2::2], strict=True):
        found[slugify(title)] = body
    return found


def rows(text: str) -> list[tuple[str, str, str]]:
    """(R form, PyTorch forms, links) of each row of the table."""
    found = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith(("| R torch", "| ---")):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            found.append(tuple(cells))
    return found


def spans(cell: str) -> list[str]:
    """The code spans of a table cell, including ``double-backtick`` ones that hold a backtick."""
    return [m.group(2).strip() for m in re.finditer(r"(`+)(.+?)\1(?!`)", cell)]


def places(links: str, page_sections: dict[str, str]) -> list[tuple[str, str]]:
    """(name, text) of each place a row links to: a chapter's whole page or a section of the appendix."""
    found = []
    for target in re.findall(r"\]\(([^)]+)\)", links):
        if target.startswith("#"):
            assert target[1:] in page_sections, f"no section of the appendix has the id {target}"
            found.append((target, page_sections[target[1:]]))
        else:
            chapter = re.fullmatch(r"\.\./\.\./chapters/([\w-]+)/", target)
            assert chapter, f"unexpected link {target}"
            found.append((target, (DOCS / "chapters" / f"{chapter.group(1)}.md").read_text(encoding="utf-8")))
    return found


TEXT = PAGE.read_text(encoding="utf-8")
ROWS = rows(TEXT)


def test_the_table_is_found():
    assert len(ROWS) > 90 and all(len(row) == 3 for row in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row[0][:40])
def test_each_form_appears_where_its_row_links(row):
    _, pytorch, links = row
    page_imports = resolve_imports(TEXT)
    page_sections = {key: resolve_imports(body + page_imports) for key, body in sections(TEXT).items()}
    targets = [(name, resolve_imports(text)) for name, text in places(links, page_sections)]
    assert targets or "no counterpart" in pytorch, "the row links nowhere"
    for form in spans(pytorch):
        missing = [part for part in sorted(parts(form)) if not any(occurs(part, text) for _, text in targets)]
        assert not missing, f"{form!r}: {missing} occur in none of {[name for name, _ in targets]}"


def test_the_check_tells_functions_from_methods():
    assert parts("torch.mm(x, w)") == {"torch.mm("} and parts("x.mm(w)") == {".mm("}
    assert not occurs(".relu(", "a = torch.relu(h)") and occurs(".relu(", "a = h.relu()")
    assert occurs(".relu(", "a = (h + 1).relu()") and not occurs("torch.mm(", "y = x.mm(w)")
    assert parts("t.transpose(0, 1)") == {".transpose("} and not occurs(".transpose(", "x.t()")


def test_the_check_resolves_imports_and_reads_indexes():
    assert parts("F.relu(z)") == {"torch.nn.functional.relu("}
    assert occurs("nnbook.data.split_data(", resolve_imports("from nnbook.data import split_data\nsplit_data(x, y)"))
    assert parts("x[:, 0, None]") == {"[:, 0, None]"} and parts("grad_h[h < 0] = 0") == {"[h < 0] = 0"}
    assert not occurs("[h < 0] = 0", "R's form is grad_h[h < 0] <- 0")
    assert parts("class MyData(Dataset)") == {"class (Dataset)"}
    assert occurs("class (torch.utils.data.Dataset)", resolve_imports(DATASET_EXAMPLE))


DATASET_EXAMPLE = "from torch.utils.data import Dataset\nclass Rows(Dataset):\n    pass\n"


def test_a_wrong_link_fails():
    """A row that links to a chapter without its form is caught (chapter 2 has no ``torch.mm``)."""
    chapter = resolve_imports((DOCS / "chapters" / "02-tensors.md").read_text(encoding="utf-8"))
    assert not occurs("torch.mm(", chapter)
    assert "torch.mm(" in parts("torch.mm(x, w)")


def test_heading_ids_match_mkdocs_jupyter():
    utils = pytest.importorskip("mkdocs_jupyter.utils")  # installed with the book's build tools
    for title in sections_titles():
        assert slugify(title) == utils.slugify(title)


def sections_titles() -> list[str]:
    return re.findall(r"^#{2,6} (.+)$", TEXT, flags=re.M)
