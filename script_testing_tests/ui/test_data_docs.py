"""Data Docs render without a network: no CDN links left, our stylesheet inlined and applied."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from script_testing.checks import validate_edge
from script_testing.checks.gx_engine import OFFLINE_MARK, make_offline
from script_testing_tests.checks.test_checks import frame, req
from script_testing_tests.ui.browser import ARTIFACTS, browse, screenshot

REMOTE = re.compile(r"""<(?:link|script)\b[^>]*\b(?:href|src)=["'](?:https?:)?//""", re.I)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    out = tmp_path / "processed_data"
    out.mkdir()
    data = frame(20)
    data.loc[[3, 7], "label"] = None  # one failed expectation, so the page shows a failure too
    data.to_csv(out / "part-0.csv", index=False)
    docs = tmp_path / "data_docs"
    validate_edge(out, req({"not_null": ["label"]}), docs_dir=docs)
    return docs


def test_every_data_docs_page_is_made_offline(docs: Path) -> None:
    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 2  # the index and one validation page
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert OFFLINE_MARK in text and "<style>" in text, page
        assert not REMOTE.search(text), (page, REMOTE.search(text))
        assert "great-expectations-web-assets" not in text
    assert make_offline(docs) == 0  # done once: a rebuild of the site changes only new pages


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_data_docs_have_styles_in_chromium_with_the_network_off(docs: Path, tmp_path: Path) -> None:
    page = next((docs / "validations").rglob("*.html"))
    # a probe page reads the computed style of the Data Docs page it frames (file:// access allowed)
    probe = tmp_path / "probe.html"
    probe.write_text(
        f"""<html><body><iframe id="f" src="{page.as_uri()}" width="1200" height="800"></iframe>
<script>
document.getElementById("f").onload = function () {{
  var d = this.contentDocument, cell = d.querySelector("table td");
  document.body.setAttribute("data-bg", getComputedStyle(d.body).backgroundColor);
  document.body.setAttribute("data-border", cell ? getComputedStyle(cell).borderTopStyle : "none");
}};
</script></body></html>""",
        encoding="utf-8",
    )
    dom = browse(
        probe.as_uri(), tmp_path / "profile", "--allow-file-access-from-files", "--dump-dom", offline=True
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-bg="rgb(248, 249, 250)"' in dom.stdout, dom.stdout[:500]
    assert 'data-border="solid"' in dom.stdout
    screenshot(page.as_uri(), ARTIFACTS / "data_docs_offline.png", tmp_path / "profile2", offline=True)
