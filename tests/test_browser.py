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
from dedup.render_html import render
from dedup.report import build, from_result

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
