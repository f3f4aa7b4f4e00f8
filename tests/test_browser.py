"""The HTML report opened in a real headless browser (Debian's chromium)."""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from dedup import Article, cluster
from dedup.report.html import render
from dedup.report.variants import build, from_result

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROBE = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="report.html" style="width:1400px;height:900px"></iframe>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument;
  var firstCell = d.querySelector('table.facts tbody td.cell');
  document.getElementById('out').textContent = JSON.stringify({
    direction: d.defaultView.getComputedStyle(d.documentElement).direction,
    cellDirection: firstCell ? d.defaultView.getComputedStyle(firstCell).direction : null,
    columns: d.querySelectorAll('table.facts thead th').length - 1,
    scripts: d.querySelectorAll('script').length,
    images: d.querySelectorAll('img').length,
    title: d.title,
    text: d.body.innerText,
    outletsInHeader: d.querySelectorAll('li.outlet').length,
    headline: (d.querySelector('h2 .headline') || {}).textContent || null,
    matrixRows: d.querySelectorAll('table.matrix tbody tr').length,
    marksPerRow: (function () {
      return Array.prototype.map.call(d.querySelectorAll('table.matrix tbody tr'),
        function (tr) { return tr.querySelectorAll('td.mark').length; });
    })(),
    facts: Array.prototype.map.call(d.querySelectorAll('table.matrix tbody td.cell'),
      function (td) { return td.firstChild ? td.firstChild.textContent : ''; }),
    detailsOpen: Array.prototype.filter.call(d.querySelectorAll('details'), function (x) { return x.open; }).length,
    details: d.querySelectorAll('details').length,
    firstColumnRight: (function () {
      var ths = d.querySelectorAll('table.facts thead th');
      return ths.length > 2 ? ths[1].getBoundingClientRect().left > ths[2].getBoundingClientRect().left : null;
    })()
  });
};
</script></body></html>"""


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/system-deps.sh")
    return CHROMIUM


def _serve(folder: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(browser, tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def _probe(browser, tmp_path, page: str) -> dict:
    site = tmp_path / "site"
    site.mkdir()
    (site / "report.html").write_text(page, encoding="utf-8")
    (site / "probe.html").write_text(PROBE, encoding="utf-8")
    server = _serve(site)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        dom = _run(browser, tmp_path, "--virtual-time-budget=10000", "--dump-dom", f"{url}/probe.html").stdout
        shot = tmp_path / "report.png"
        _run(browser, tmp_path, "--window-size=1400,1000", f"--screenshot={shot}", f"{url}/report.html")
    finally:
        server.shutdown()
    m = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert m, dom[-2000:]
    import html

    return {**json.loads(html.unescape(m.group(1))), "screenshot": shot}


def test_seeds_report_renders_right_to_left_with_a_column_per_outlet(browser, tmp_path, seeds_dir):
    page = render(from_result(cluster(str(seeds_dir))))
    got = _probe(browser, tmp_path, page)
    assert got["direction"] == "rtl" and got["cellDirection"] == "rtl"
    assert got["columns"] == 3
    assert got["firstColumnRight"] is True  # right to left: the first outlet's column is on the right
    assert "السنوار" in got["text"]
    shot = got["screenshot"]
    assert shot.exists() and shot.stat().st_size > 20_000
    if os.environ.get("DEDUP_UPDATE_SCREENSHOT"):
        shutil.copy(shot, Path(__file__).resolve().parent.parent / "docs" / "report.png")


def test_article_markup_renders_as_text(browser, tmp_path):
    hostile = 'قال الوزير إن <script>top.pwned=1</script> <img src=x onerror="top.pwned=2"> الاجتماع ناجح جدا'
    a = Article("a", hostile + "\nوأضاف المتحدث أن النتائج ستعلن غدا في مؤتمر صحافي.", outlet="sabq")
    b = Article("b", hostile, outlet="okaz")
    got = _probe(browser, tmp_path, render(build([(1, "variant", [a, b])])))
    assert got["scripts"] == 0 and got["images"] == 0
    assert "<script>top" in got["text"] and '<img src=x onerror="top' in got["text"]
    assert got["columns"] == 2


def _eight_outlets():
    """The group of 2015-07-22 with eight articles from eight outlets (a royal order appointing judges)."""
    from .conftest import saudinewsnet_records

    arts = [Article(str(r["id"]), r["content"], title=r["title"], outlet=r["source"], published=r["date_extracted"][:16])
            for r in saudinewsnet_records("2015-07-22")]
    from dedup.engine.local import Settings, cluster_articles

    result = cluster_articles(arts, Settings(), jobs=1)
    number, group = next((k, g) for k, g in enumerate(result.groups, 1)
                         if len(g.members) == 8 and len({result.articles[m].outlet for m in g.members}) == 8)
    return result, number


def test_a_group_of_eight_outlets_is_a_matrix_with_a_header_and_no_chrome_as_facts(browser, tmp_path):
    from dedup.text.boilerplate import CHROME_LINES
    from dedup.text.normalize import normalize

    result, number = _eight_outlets()
    report = from_result(result, [number])
    got = _probe(browser, tmp_path, render(report))
    g = report["groups"][0]
    assert got["outletsInHeader"] == 8 and got["headline"] == g["headline"] and g["headline"]
    shown = " ".join(got["text"].split())  # the page's text as laid out: runs of spaces collapse
    for a in g["articles"]:  # each outlet's own title and time in the header
        assert a["title"] and " ".join(a["title"].split()) in shown and a["published"] in shown
    assert got["matrixRows"] == len(g["facts"]) and set(got["marksPerRow"]) == {8}
    assert got["details"] >= 1 and got["detailsOpen"] == 0  # the other wordings open on demand
    counts = [len(f["sentences"]) for f in g["facts"]]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 5  # the facts most outlets carry first
    chrome = {normalize(x) for x in CHROME_LINES}
    assert not [t for t in got["facts"] if normalize(t.strip()) in chrome or len(t.split()) < 4]
    assert "variant" not in got["text"]
    if os.environ.get("DEDUP_UPDATE_SCREENSHOT"):
        shutil.copy(got["screenshot"], Path(__file__).resolve().parent.parent / "docs" / "report_8_outlets.png")
