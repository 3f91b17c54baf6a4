"""tools/test_phases.py: the table ``python3 make.py test`` prints of where the suite's time went."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import test_phases  # noqa: E402

REPORT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.site.test_browser" name="test_page[/]" time="4.0"/>
<testcase classname="tests.site.test_browser" name="test_page[/x/]" time="2.0"/>
<testcase classname="tests.site.test_reader" name="test_download[01]" time="3.5"/>
<testcase classname="tests.site.test_site" name="test_links" time="1.0"/>
<testcase classname="docs.chapters.01-what-a-network-computes.md" name="line 29" time="0.5"/>
<testcase classname="README.md" name="line 126" time="0.25"/>
<testcase classname="tests.package.test_network" name="test_dense" time="0.75"/>
</testsuite></testsuites>"""


def test_each_test_file_has_its_phase():
    assert test_phases.phase("tests.site.test_browser", "t") == "site: pages in a browser (Chromium)"
    assert test_phases.phase("tests.site.test_reader", "t").startswith("site: downloaded notebooks")
    assert test_phases.phase("tests.site.test_site", "t").startswith("site: build")
    assert test_phases.phase("tests.site.test_packaging", "t").startswith("site: build")
    assert test_phases.phase("docs.chapters.02-tensors.md", "line 3").startswith("chapters and README")
    assert test_phases.phase("README.md", "line 3").startswith("chapters and README")
    assert test_phases.phase("tests.package.test_trainers", "t") == "package tests"
    assert test_phases.phase("tests.book.test_listings", "t").startswith("book")
    assert test_phases.phase("tests.build.test_notebook_cache", "t").startswith("build")
    assert test_phases.phase("tests.tools.test_test_phases", "t") == "tools"


def test_the_table_sums_the_phases_and_says_how_busy_the_cores_were(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(REPORT)
    printed = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "test_phases.py"), str(report), "--wall=10", "--cpu=15", "--cores=2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = {line[:56].strip(): line[56:].split() for line in printed.splitlines() if line[:56].strip()}
    assert rows["site: pages in a browser (Chromium)"] == ["2", "6.0"]
    assert rows["chapters and README run by pytest-codeblocks"] == ["2", "0.8"]
    assert rows["sum over all workers"] == ["7", "12.0"]
    assert rows["wall-clock time of the run"] == ["10.0"]
    assert rows["CPU time the machine was busy (all programs)"] == ["15.0"]
    assert rows["cores kept busy (2 cores)"] == ["75%"]
    # The slowest first.
    slowest, second = "4.0 s  tests.site.test_browser::test_page[/]", "3.5 s  tests.site.test_reader"
    assert printed.index(slowest) < printed.index(second)
