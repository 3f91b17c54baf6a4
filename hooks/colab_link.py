"""An "Open in Colab" link beside each notebook page's download button.

Colab opens a notebook from a GitHub repository only, at
``https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH``; it
cannot open a file from an arbitrary web address such as the site's own copy.
The deploy workflow (``.github/workflows/deploy.yml``) therefore also pushes
every built notebook, at the path it has under ``site/``, to the branch
:data:`BRANCH` of the repository named by ``repo_url``. The link points at the
same file as the page's download button: the notebook of this build's
execution, with its install cell first.

A link is not a request: the page loads nothing from Colab or GitHub. The
link's text is its accessible name.

The download paragraph (``<p class="nnbook-downloads">``) and its ``.ipynb``
link are the page's visible output, not another hook's internals; a notebook
page without them gets no Colab link and a warning (so ``--strict`` fails).
"""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import quote, urlparse

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.colab_link")

BRANCH = "notebooks"
COLAB = "https://colab.research.google.com/github"
# The paragraph of download buttons, and in it the link to this page's notebook.
_DOWNLOADS = re.compile(r'<p class="nnbook-downloads">.*?</p>', re.DOTALL)
_NOTEBOOK_LINK = re.compile(r'<a class="md-button" href="(?P<href>[^"#?/]+\.ipynb)" download>.*?</a>', re.DOTALL)


def github_repository(repo_url: str) -> str:
    """``OWNER/REPO`` of a GitHub ``repo_url``.

    >>> github_repository("https://github.com/nnbook/nnbook/")
    'nnbook/nnbook'
    """
    parsed = urlparse(repo_url or "")
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.netloc.lower() not in ("github.com", "www.github.com") or len(parts) != 2:
        raise ValueError(f"repo_url must be a GitHub repository, https://github.com/OWNER/REPO; got {repo_url!r}")
    return f"{parts[0]}/{parts[1].removesuffix('.git')}"


def colab_url(repository: str, site_path: str) -> str:
    """Where Colab opens the notebook that the site serves at ``site_path`` (relative to the site's root).

    >>> colab_url("nnbook/nnbook", "chapters/02-tensors/02-tensors.ipynb")
    'https://colab.research.google.com/github/nnbook/nnbook/blob/notebooks/chapters/02-tensors/02-tensors.ipynb'
    """
    return f"{COLAB}/{repository}/blob/{BRANCH}/{quote(site_path)}"


def add_colab_link(output: str, page_url: str, repository: str) -> str | None:
    """``output`` with the Colab link after the notebook's download button; None if the page has no such button."""
    paragraph = _DOWNLOADS.search(output)
    button = _NOTEBOOK_LINK.search(paragraph.group()) if paragraph else None
    if button is None:
        return None
    target = colab_url(repository, page_url + button.group("href"))
    link = f' <a class="md-button nnbook-colab" href="{html.escape(target, quote=True)}">Open in Colab</a>'
    start = paragraph.start() + button.end()
    return output[:start] + link + output[start:]


# After the hook that writes the download buttons (hooks/notebook_extras.py), whatever the order of the hooks.
@event_priority(-50)
def on_post_page(output: str, page, config, **kwargs) -> str:
    if "jupyter-wrapper" not in output:
        return output  # not a notebook page: it has no download
    changed = add_colab_link(output, page.url, github_repository(config.repo_url))
    if changed is None:
        log.warning(f"colab_link hook: {page.file.src_uri} has no notebook download button; no Colab link added")
        return output
    return changed
