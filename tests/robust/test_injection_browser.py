"""Hostile input in Chromium: every page of a site built from it loads, and nothing injected runs."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from httpkit import serve_folder
from robust_support import FIXTURES, run_digest, write_site

CORPUS = FIXTURES / "hostile_corpus.yaml"
MARKERS = ("pwned", "alert", "evil.example", "javascript", "data:text")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    spec = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    config = spec.pop("config.yaml")
    root = write_site(tmp_path_factory.mktemp("hostile"), spec, config)
    done = run_digest(root, "build")
    return root, done


@pytest.fixture(scope="module")
def visited(hostile_site, browser):
    """Load every HTML page of the hostile site; return what the browser saw."""
    root, _ = hostile_site
    site = root / "site"
    server, base = serve_folder(site)
    seen = {"dialogs": [], "console": [], "bad_requests": [], "pwned": [], "dom": [], "pages": 0,
            "text": {}}
    context = browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: seen["console"].append(f"{page.url}: {m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen["console"].append(f"{page.url}: pageerror: {e}"))

    def check_request(request):
        url = urlsplit(request.url)
        local = site / url.path.lstrip("/")
        if url.netloc != urlsplit(base).netloc or not (local.is_file() or (local / "index.html").is_file()):
            seen["bad_requests"].append(f"{page.url} -> {request.url}")
    page.on("request", check_request)
    try:
        for html in sorted(site.rglob("*.html")):
            rel = html.relative_to(site).as_posix()
            page.goto(base + rel, wait_until="load")
            page.wait_for_timeout(30)
            seen["pages"] += 1
            if page.evaluate("typeof window.__pwned") != "undefined":
                seen["pwned"].append(f"{rel}: {page.evaluate('String(window.__pwned)')}")
            seen["dom"] += [f"{rel}: {x}" for x in page.evaluate(DOM_AUDIT)]
            seen["text"][rel] = page.inner_text("body")
        page.goto(base + "search/index.html", wait_until="load")  # hostile text in search results
        page.fill("#q", "pwned")
        page.press("#q", "Enter")
        page.wait_for_selector("#results li", timeout=10_000)
        page.wait_for_timeout(300)
        if page.evaluate("typeof window.__pwned") != "undefined":
            seen["pwned"].append("search results")
        seen["dom"] += [f"search: {x}" for x in page.evaluate(DOM_AUDIT)]
        seen["search_results"] = page.locator("#results li").count()
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    return seen


# Elements and attributes that only injected markup could have added.
DOM_AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(el.tagName + ' has ' + a.name);
      if (a.name === 'style' && !el.closest('.popover')) bad.push(el.tagName + ' has style=');
      if (/^\\s*(javascript|data|vbscript):/i.test(a.value) && a.name !== 'content') bad.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    const ok = (s.src && /\\/(static\\/digest\\.js|pagefind\\/[\\w.-]+\\.js|__digest__\\/live\\.js)$/.test(s.src))
            || s.type === 'application/ld+json';
    if (!ok) bad.push('script ' + (s.src || s.textContent.slice(0, 60)));
  }
  for (const tag of ['iframe', 'object', 'embed', 'img', 'svg', 'style', 'base', 'form[action^="http"]'])
    for (const el of document.querySelectorAll(tag)) bad.push('element ' + el.outerHTML.slice(0, 80));
  for (const s of document.querySelectorAll('script[type="application/ld+json"]')) {
    try { JSON.parse(s.textContent); } catch (e) { bad.push('JSON-LD does not parse'); }
  }
  return bad;
}"""


def test_build_reports_the_unsafe_urls_and_builds_the_rest(hostile_site):
    root, done = hostile_site
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in out
    assert "content/data_url.md:3: [url] error: expected an http(s) URL, found the string " \
           "\"data:text/html,<script>alert('data-url')</script>\"" in out
    assert "content/javascript_url.md:3: [url] error: expected an http(s) URL, found the " \
           "string \"javascript:alert('js-url')\"" in out
    for page in ("script-everywhere", "template-syntax", "jsonld-breakout"):
        assert (root / f"site/articles/{page}/index.html").is_file()


def test_every_page_loaded_and_nothing_injected_ran(visited):
    assert visited["pages"] >= 12
    assert visited["dialogs"] == []
    assert visited["pwned"] == []
    assert visited["console"] == []        # a CSP refusal would be logged here too
    assert visited["bad_requests"] == []
    assert visited["dom"] == []
    assert visited["search_results"] >= 1


def test_hostile_text_is_shown_as_text(visited):
    text = visited["text"]
    article = text["articles/script-everywhere/index.html"]
    assert "<script>window.__pwned='body'</script>" in article
    assert "<img src=x onerror=" in article and "expression(alert('css'))" in article
    assert "<script>window.__pwned='title'</script> Harbour pwned headline" in article


def test_template_syntax_is_never_evaluated(visited):
    article = visited["text"]["articles/template-syntax/index.html"]
    assert "{{ 7*7 }} {% raw %}raw{% endraw %} {{ config.__class__ }}" in article
    assert "{{ 7*7 }} and {% raw %} reopened" in article
    assert "Python: {{ ''.__class__.__mro__ }} and {{ lipsum.__globals__.os.popen('id').read() }}" in article
    assert "Shell: ${7*7}" in article and "ERB: <%= 7*7 %>" in article
    assert "49" not in article and "class 'type'" not in article


def test_csp_meta_is_on_every_page(hostile_site):
    root, _ = hostile_site
    for html in (root / "site").rglob("*.html"):
        head = html.read_text(encoding="utf-8").split("</head>")[0]
        assert "Content-Security-Policy" in head and "script-src 'self'" in head, html
