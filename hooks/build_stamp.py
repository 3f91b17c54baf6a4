"""A build stamp for every page, and the address of a prefilled issue about the page.

The stamp names the commit the site was built from and the build date
(``SOURCE_DATE_EPOCH`` when set, so that two builds of one commit agree). The
theme override ``overrides/main.html`` prints, at the end of every page, a plain
link that opens a new issue on the repository with the page's address and this
stamp filled in: no script, and nothing is requested until the reader follows it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from urllib.parse import urlencode


def commit(root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


def report_url(repo_url: str, page_url: str, stamp: str) -> str:
    """A link that opens a new issue on ``repo_url`` about ``page_url``, with the build ``stamp``."""
    body = f"Page: {page_url}\nBuild: {stamp}\n\nWhat is wrong (quote the sentence, output or figure if you can):\n\n"
    query = urlencode(
        {"title": f"Problem on {page_url.rstrip('/').rsplit('/', 1)[-1] or 'the home page'}", "body": body}
    )
    return f"{repo_url.rstrip('/')}/issues/new?{query}"


def on_config(config, **kwargs):
    root = Path(config.config_file_path).parent
    config.extra["build_stamp"] = f"commit {commit(root)}, built {build_date()}"
    return config


def on_page_context(context, page, config, nav, **kwargs):
    context["report_url"] = report_url(
        config.repo_url, page.canonical_url or page.abs_url or page.url, config.extra["build_stamp"]
    )
    return context
