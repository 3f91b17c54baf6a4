"""One click to run a chapter: each notebook page's "Open in Colab" link (hooks/colab_link.py) points at the
notebook the page's download button serves, on the branch the deploy workflow publishes; and the download's
install cell installs nnbook without replacing a torch that already satisfies it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

from site_helpers import ROOT, SITE_URL, notebook_pages

sys.path.insert(0, str(ROOT / "hooks"))
import colab_link

REPO_URL = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)["repo_url"]
VERSION = metadata.version("nnbook")


def page_html(site: Path, source: Path) -> str:
    return (site / source.parent.name / source.stem / "index.html").read_text(encoding="utf-8")


def test_the_link_follows_the_download_button():
    page = (
        '<h1>T</h1><p class="nnbook-downloads"><a class="md-button" href="t.ipynb" download>Download</a> '
        '<a class="md-button" href="../../z.zip" download>All</a></p><div class="jupyter-wrapper"></div>'
    )
    out = colab_link.add_colab_link(page, "chapters/t/", "owner/repo")
    link = '<a class="md-button nnbook-colab" href="https://colab.research.google.com/github/owner/repo/blob/'
    assert out == page.replace("Download</a>", f'Download</a> {link}notebooks/chapters/t/t.ipynb">Open in Colab</a>')
    # No download button, no link: the hook warns instead.
    assert colab_link.add_colab_link('<p class="nnbook-downloads"></p>', "chapters/t/", "owner/repo") is None


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "https://github.com/a", "", "https://github.com/a/b/c"])
def test_only_a_github_repository_can_host_the_notebooks(url):
    with pytest.raises(ValueError, match="repo_url"):
        colab_link.github_repository(url)


def test_the_deploy_workflow_publishes_the_built_notebooks_on_the_links_branch():
    workflow = yaml.load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(), Loader=yaml.BaseLoader)
    steps = workflow["jobs"]["build"]["steps"]
    collect = next(step["run"] for step in steps if "ipynb" in step.get("run", ""))
    # The notebooks are taken from the built site, at their paths under site/ ...
    assert collect.startswith("cd site &&") and "find . -name '*.ipynb'" in collect
    # ... and after the site is deployed, become the branch the links name, from this repository.
    job = workflow["jobs"]["notebooks"]
    assert job["needs"] == "deploy" and job["permissions"] == {"contents": "write"}
    push = job["steps"][-1]["run"]
    assert f"HEAD:{colab_link.BRANCH}" in push and "github.com/${REPOSITORY}.git" in push


@pytest.mark.slow
@pytest.mark.parametrize("source", notebook_pages(), ids=lambda p: p.stem)
def test_every_notebook_page_opens_its_own_notebook_in_colab(site, source):
    soup = BeautifulSoup(page_html(site, source), "html.parser")
    links = soup.select("a.nnbook-colab")
    assert len(links) == 1
    link = links[0]
    # Beside the download button, with a name of its own, and nothing fetched from Colab to show it.
    assert link.parent.get("class") == ["nnbook-downloads"]
    download = link.parent.select_one("a[download]")
    assert download["href"] == f"{source.stem}.ipynb"
    assert link.get_text(strip=True) == "Open in Colab" and not link.find(["img", "svg"])
    url = urlparse(link["href"])
    prefix = f"/github/{colab_link.github_repository(REPO_URL)}/blob/{colab_link.BRANCH}/"
    assert (url.scheme, url.netloc) == ("https", "colab.research.google.com") and url.path.startswith(prefix)
    # The branch holds the site's notebooks at their paths under site/ (deploy.yml): the link's target is the
    # download's file.
    target = site / unquote(url.path.removeprefix(prefix))
    assert target.is_file()
    assert target == site / source.parent.name / source.stem / download["href"]


# A python whose torch is not the book's pin, so that an install that replaced it would show. Tried in turn.
OTHER_TORCH_PYTHONS = [os.environ.get("NNBOOK_OTHER_TORCH_PYTHON", ""), "/work/envs/newest/bin/python"]
OTHER_TORCH_PYTHONS.append(str(ROOT / ".venv-newest" / "bin" / "python"))
PROBE = (
    "import importlib.metadata as m, importlib.util as u, json, sys, sysconfig;"
    "print(json.dumps({'torch': m.version('torch'), 'nnbook': u.find_spec('nnbook') is not None,"
    " 'ipython': u.find_spec('IPython') is not None, 'pip': u.find_spec('pip') is not None, 'prefix': sys.prefix,"
    " 'purelib': sysconfig.get_path('purelib')}))"
)


def probe(python: str | Path) -> dict:
    """What ``python`` has: its torch's version, whether nnbook, IPython and pip are importable, where it installs.

    A python that has no torch at all gives an empty dict."""
    done = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=False)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def other_torch_python() -> tuple[str, dict]:
    pinned = metadata.version("torch")
    for python in filter(None, OTHER_TORCH_PYTHONS):
        found = probe(python) if Path(python).exists() else {}
        if found and found["torch"] != pinned and found["ipython"] and found["pip"] and not found["nnbook"]:
            return python, found
    if os.environ.get("NNBOOK_OTHER_TORCH_PYTHON"):
        pytest.fail(f"NNBOOK_OTHER_TORCH_PYTHON={os.environ['NNBOOK_OTHER_TORCH_PYTHON']} has no usable torch")
    pytest.skip(
        f"no python with a torch other than the pinned {pinned} (plus IPython and pip, without nnbook) among "
        f"{[p for p in OTHER_TORCH_PYTHONS if p]}; set NNBOOK_OTHER_TORCH_PYTHON (python3 make.py test --newest makes "
        ".venv-newest)"
    )


INSTALL_CELL_RUNNER = """
import sys
from IPython.core.interactiveshell import InteractiveShell

result = InteractiveShell.instance().run_cell(open(sys.argv[1]).read())
result.raise_error()
"""


@pytest.mark.slow
def test_the_install_cell_keeps_a_torch_that_already_satisfies_nnbook(site, tmp_path):
    """A reader's runtime (Colab's, say) already has a torch that is not the book's pin: the downloaded
    notebook's install cell installs nnbook from the wheel the site serves and leaves that torch alone."""
    base_python, base = other_torch_python()
    env_dir = tmp_path / "reader"
    # Made by that python, with its packages on the path (a .pth file: --system-site-packages would give the
    # packages of the interpreter under it where it is itself a virtual environment). Its torch is the reader's;
    # what pip installs goes into the new environment, and pip never removes a package from outside it.
    subprocess.run([base_python, "-m", "venv", "--without-pip", env_dir], check=True)
    python = env_dir / "bin" / "python"
    where = [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    purelib = Path(subprocess.run(where, capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "other-torch.pth").write_text(f"{base['purelib']}\n")
    before = probe(python)
    assert before["prefix"] == str(env_dir) and before["torch"] == base["torch"] and not before["nnbook"]

    source = notebook_pages()[0]
    notebook = json.loads((site / source.parent.name / source.stem / f"{source.stem}.ipynb").read_text())
    cell = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])
    assert "%pip install" in cell and SITE_URL in cell
    # The wheel the site serves, from the built site, and nothing from any index: the test needs no network.
    wheel = site / "packages" / f"nnbook-{VERSION}-py3-none-any.whl"
    assert wheel.is_file()
    cell = cell.replace(SITE_URL.rstrip("/") + "/", site.as_uri() + "/")
    assert wheel.as_uri() in cell
    (tmp_path / "cell.py").write_text(cell)
    (tmp_path / "run_cell.py").write_text(INSTALL_CELL_RUNNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_COMPILE="1")
    done = subprocess.run(
        [python, tmp_path / "run_cell.py", tmp_path / "cell.py"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"Successfully installed .*nnbook-{re.escape(VERSION)}", done.stdout), done.stdout
    after = probe(python)
    assert after["nnbook"], done.stdout
    assert after["torch"] == base["torch"], f"torch {base['torch']} became {after['torch']}:\n{done.stdout}"
    # And only in the new environment: the one it was made from is as it was.
    assert probe(base_python) == base
