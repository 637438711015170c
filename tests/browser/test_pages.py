"""The demo site in Chromium: citations, highlights, no-JS reading, accessibility, screenshots."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from digest.config import load_config
from digest.pipeline import build
from digest.stages import render

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 360, "desktop": 1280}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    """Build the repository's demo site (config.yaml + content/) into a temporary folder."""
    src = tmp_path_factory.mktemp("demo")
    shutil.copy(ROOT / "config.yaml", src / "config.yaml")
    shutil.copytree(ROOT / "content", src / "content")
    config, _ = load_config(src)
    report = build(config)
    assert report.written and not report.errors, report.problems
    data = json.loads((src / "site" / "digest.json").read_text())
    return src / "site", data


def page_types(data: dict) -> dict[str, str]:
    """Return one page of each type in the demo."""
    story = data["stories"][0]
    article = story["articles"][0]
    outlet = next(a["outlet"] for a in data["articles"] if a["outlet"])
    from digest.frontmatter import slugify
    return {"home": "", "story": story["page"], "article": f"articles/{article}/",
            "archive": "archive/", "outlets": "outlets/", "outlet": f"outlets/{slugify(outlet)}/",
            "search": "search/", "404": "404.html"}


def test_marker_shows_passage_and_leads_to_highlighted_span(demo, page, served):
    site, data = demo
    base = served(site, prefix="digest")  # a GitHub Pages-like sub-path
    story = data["stories"][0]
    texts = {a["id"]: a["text"] for a in data["articles"]}
    page.goto(base + story["page"])
    marker = page.locator("ol.summary a.cite").first
    cite = story["summary"][0]["citations"][0]
    passage = texts[cite["article"]][cite["start"]:cite["end"]]
    marker.click()
    popover = page.locator(".popover")
    popover.wait_for(state="visible")
    assert passage in popover.inner_text()
    popover.locator("a").click()
    page.wait_for_url(f"**/articles/{cite['article']}/**#p{cite['start']}-{cite['end']}")
    highlighted = page.locator("mark.target")
    assert highlighted.count() >= 1
    assert "".join(highlighted.all_inner_texts()) == passage


def test_every_summary_citation_points_at_its_text(demo, page, served):
    site, data = demo
    base = served(site)
    texts = {a["id"]: a["text"] for a in data["articles"]}
    for story in data["stories"]:
        for sentence in story["summary"]:
            assert sentence["citations"], sentence["text"]
            first = sentence["citations"][0]
            assert texts[first["article"]][first["start"]:first["end"]] == sentence["text"]
    cite = data["stories"][0]["summary"][-1]["citations"][-1]
    page.goto(base + f"articles/{cite['article']}/index.html#p{cite['start']}-{cite['end']}")
    marks = page.locator(f"mark[data-passage~='p{cite['start']}-{cite['end']}']")
    assert "".join(marks.all_inner_texts()) == texts[cite["article"]][cite["start"]:cite["end"]]


def test_readable_without_javascript_and_from_disk(demo, browser):
    site, data = demo
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    story = data["stories"][0]
    page.goto((site / story["page"] / "index.html").as_uri())
    assert page.locator("ol.summary li").count() == len(story["summary"])
    assert page.locator("article.card").count() == len(story["articles"])
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Georgia")
    page.locator("ol.summary a.cite").first.click()  # no popover: the link itself navigates
    page.wait_for_url("**/articles/**")
    assert page.locator("mark").count() >= 1
    context.close()


def test_axe_finds_no_serious_or_critical_violations(demo, browser, served):
    site, data = demo
    results = axe(browser, served(site), page_types(data))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(results, indent=1, sort_keys=True))
    bad = {k: [v for v in found if v["impact"] in ("serious", "critical")] for k, found in results.items()}
    assert not any(bad.values()), bad


def axe(browser, base: str, pages: dict[str, str]) -> dict[str, list[dict]]:
    """Return the axe-core violations of each page (name -> path under `base`)."""
    context = browser.new_context(bypass_csp=True)  # to inject axe; the pages keep their CSP
    page = context.new_page()
    results = {}
    for kind, path in pages.items():
        page.goto(base + path)
        page.add_script_tag(path=str(AXE))
        results[kind] = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")
    context.close()
    return results


def test_split_archive_and_outlet_pages_pass_axe_and_fit_a_phone(make_site, monkeypatch,
                                                                 browser, served):
    from test_listings import three_months
    monkeypatch.setattr(render, "LIST_LIMIT", 6)
    monkeypatch.setattr(render, "MONTH_LIMIT", 8)
    root = three_months(make_site)
    config, _ = load_config(root)
    build(config)
    base = served(root / "site")
    pages = {"index": "archive/", "split month": "archive/2024-05/",
             "day": "archive/2024-05/03/", "month": "archive/2024-04/",
             "outlet": "outlets/post/", "outlet month": "outlets/post/2024-04/"}
    found = axe(browser, base, pages)
    assert not any(v["impact"] in ("serious", "critical") for f in found.values() for v in f), found
    context = browser.new_context(viewport={"width": WIDTHS["phone"], "height": 900})
    page = context.new_page()
    for path in pages.values():
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"], path
    page.goto(base + "archive/2024-05/")  # a day link leads to that day's articles
    page.get_by_role("link", name="3 May 2024", exact=True).click()
    page.wait_for_url("**/archive/2024-05/03/index.html")
    assert page.locator("section.day li").count() == 4
    context.close()
    assert_valid_html(root / "site")


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_fit_the_width(demo, browser, served, width_name, scheme):
    site, data = demo
    base = served(site)
    width = WIDTHS[width_name]
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for kind, path in page_types(data).items():
        page.goto(base + path)
        page.screenshot(path=str(shots / f"{kind}-{width_name}-{scheme}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{kind} is {overflow}px wide at {width}px"
    context.close()


def test_print_stylesheet_hides_navigation(demo, page, served):
    site, data = demo
    page.goto(served(site) + data["stories"][0]["page"])
    page.emulate_media(media="print")
    assert page.locator(".masthead nav").is_hidden()
    assert page.locator("article.card").first.is_visible()


def test_story_json_ld_names_its_sources(demo, page, served):
    site, data = demo
    page.goto(served(site) + data["stories"][0]["page"])
    ld = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert ld["@type"] == "NewsArticle"
    assert len(ld["isBasedOn"]) == len(ld["citation"]) == len(data["stories"][0]["articles"])


def test_every_page_is_valid_html(demo):
    site, _ = demo
    assert_valid_html(site)


def assert_valid_html(site: Path) -> None:
    """Check every HTML page under `site` with the Nu HTML Checker."""
    vnu = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    done = subprocess.run(["java", "-jar", str(vnu), "--errors-only", "--skip-non-html",
                           "--format", "text", str(site)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[:3000]
