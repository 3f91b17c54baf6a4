"""The nbconvert exporters mkdocs-jupyter converts the chapters with, minus two repeated costs.

mkdocs-jupyter's ``nb2html`` and ``nb2md`` (``mkdocs_jupyter.nbconvert2``) create an
``HTMLExporter`` or a ``MarkdownExporter`` for every page. :func:`install` replaces those
two names in that module with subclasses that produce the same pages with less work
(``hooks/notebook_html.py`` installs them, in its ``on_config``):

- **Templates compiled once.** Each exporter makes a new Jinja environment, so every
  conversion compiled the same two dozen templates again (two conversions per chapter,
  about 0.1 CPU s each). The environments share a bytecode cache in
  ``.cache/nnbook-jinja-nbconvert``; Jinja keeps a template's compiled code under its
  name and file with a checksum of its source, so an edited or upgraded template is
  compiled afresh.
- **One parse of the page, not two** (``HTMLExporter`` only). ``HTMLExporter.from_notebook_node``
  parses the HTML it has just rendered with BeautifulSoup, gives every ``img`` without
  one an alt attribute and every input and output box ``tabindex="0"``, and serialises it
  again: about 0.2 CPU s per chapter. ``notebook_html`` parses the page anyway, so it makes
  those changes itself, on its own parse (:func:`notebook_html.finish_nbconvert`), and the
  exporter returns the HTML as rendered. The pages are the same: that parse and
  serialisation change nothing ``notebook_html`` does not redo, and making the changes
  twice equals making them once (``tests/build/test_notebook_cache.py`` checks both).

Calling :func:`install` again (mkdocs serve reloads the hooks) replaces the earlier subclasses.
"""

from __future__ import annotations

from pathlib import Path

JINJA_CACHE = Path(".cache") / "nnbook-jinja-nbconvert"


class _Unparsed:
    """Stands in for BeautifulSoup inside ``HTMLExporter.from_notebook_node``: the HTML stays as rendered.

    It answers the exporter's CSS selections with no element, and gives back the markup;
    anything else the exporter might ask of a soup raises, rather than being skipped.
    """

    def __init__(self, markup: str, features: str | None = None):
        self.markup = markup

    def select(self, selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.markup


def _pristine(exporter):
    return getattr(exporter, "nnbook_base", exporter)


def install(module, folder: Path, *, parse_once: bool = True) -> None:
    """Replace ``module.HTMLExporter`` and ``module.MarkdownExporter`` (see the module's docstring).

    ``module`` is ``mkdocs_jupyter.nbconvert2``; ``folder`` holds the compiled templates.
    ``parse_once``: leave the alt attributes and tab stops to ``notebook_html.finish_nbconvert``.
    """
    from jinja2 import FileSystemBytecodeCache

    folder.mkdir(parents=True, exist_ok=True)
    cache = FileSystemBytecodeCache(str(folder))
    for name in ("HTMLExporter", "MarkdownExporter"):
        if getattr(module, name, None) is None:
            continue
        base = _pristine(getattr(module, name))

        def _create_environment(self, base=base):
            environment = base._create_environment(self)
            environment.bytecode_cache = cache
            return environment

        members = {"_create_environment": _create_environment, "nnbook_base": base}
        if name == "HTMLExporter" and parse_once:

            def from_notebook_node(self, nb, resources=None, base=base, **kw):
                from nbconvert.exporters import html

                # The exporter names BeautifulSoup at module level; replaced for this call only (the
                # build converts one notebook at a time: hooks/render_ahead.py holds a lock).
                real, html.BeautifulSoup = html.BeautifulSoup, _Unparsed
                try:
                    return base.from_notebook_node(self, nb, resources, **kw)
                finally:
                    html.BeautifulSoup = real

            members["from_notebook_node"] = from_notebook_node
        # The same class name: traitlets finds an exporter's configuration by the names in its MRO.
        setattr(module, name, type(base.__name__, (base,), members))
