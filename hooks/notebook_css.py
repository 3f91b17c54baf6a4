"""Shrink the JupyterLab stylesheet that chapters link to, to the rules they use.

nbconvert's stylesheet styles all of JupyterLab (toolbars, menus, widgets,
about 570 kB). A chapter uses a small part of it. Rules whose selectors name a
class that no notebook page contains are dropped, then custom properties
(``--jp-...``) that nothing reads any more. What remains renders the same.
"""

from __future__ import annotations

import re

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_VAR_USE = re.compile(r"var\(\s*(--[\w-]+)")
_VAR_DEF = re.compile(r"(?<![\w-])(--[\w-]+)\s*:")


def blocks(css: str):
    """Yield (prelude, body) for each top-level rule; body excludes the outer braces."""
    i, n = 0, len(css)
    while i < n:
        open_at = css.find("{", i)
        if open_at < 0:
            return
        depth, j, quote = 0, open_at, None
        while j < n:
            ch = css[j]
            if quote:
                if ch == quote and css[j - 1] != "\\":
                    quote = None
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield css[i:open_at].strip(), css[open_at + 1 : j]
        i = j + 1


def split_selectors(prelude: str) -> list[str]:
    """Split a selector list on its top-level commas (not those inside ``:is(...)``)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return parts


def _keep_selectors(prelude: str, used: set[str]) -> str:
    kept = [s for s in split_selectors(prelude) if set(_CLASS.findall(s)) <= used]
    return ",".join(kept)


def prune_rules(css: str, used: set[str]) -> str:
    out = []
    for prelude, body in blocks(css):
        if prelude.startswith(("@media", "@supports", "@layer")) or (prelude.startswith("@charset") and "{" in body):
            inner = prune_rules(body, used)
            if inner.strip():
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")  # @font-face, @keyframes: keep as they are
        else:
            selectors = _keep_selectors(prelude, used)
            if selectors.strip():
                out.append(f"{selectors}{{{body}}}")
    return "\n".join(out)


def drop_unused_properties(css: str, html_vars: set[str]) -> str:
    """Remove ``--name: value;`` declarations whose ``--name`` nothing reads, until none is left."""
    while True:
        read = set(_VAR_USE.findall(css)) | html_vars
        defined = set(_VAR_DEF.findall(css))
        unused = defined - read
        if not unused:
            return css
        names = "|".join(re.escape(name) for name in sorted(unused, key=len, reverse=True))
        css = re.sub(rf"(?<![\w-])(?:{names})\s*:[^;{{}}]*;?", "", css)


def shrink(css: str, pages_html: list[str]) -> str:
    used = set()
    html_vars = set()
    for html in pages_html:
        for classes in re.findall(r'class="([^"]*)"', html):
            used.update(classes.split())
        html_vars.update(_VAR_USE.findall(html))
    # Classes that scripts add after load: the copy button's notice, and the page's dark scheme.
    used.update({"notice", "jp-mod-active", "jupyter-wrapper"})
    return drop_unused_properties(prune_rules(css, used), html_vars)
