// digest: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  var open = null;
  function close() { if (open) { open.remove(); open = null; } }
  function show(link) {
    close();
    var box = document.createElement("div");
    box.className = "popover";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Cited passage");
    var outlet = document.createElement("span");
    outlet.className = "outlet";
    outlet.textContent = link.getAttribute("data-outlet") || "";
    var quote = document.createElement("blockquote");
    quote.textContent = link.getAttribute("data-passage") || "";
    var go = document.createElement("a");
    go.href = link.getAttribute("href");
    go.textContent = "Read it in the article \u2192";
    box.appendChild(outlet); box.appendChild(quote); box.appendChild(go);
    document.body.appendChild(box);
    var r = link.getBoundingClientRect();
    var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8));
    box.style.left = left + "px";
    box.style.top = (window.scrollY + r.bottom + 6) + "px";
    open = box;
    go.focus();
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.cite[data-passage]");
    if (link) { e.preventDefault(); show(link); return; }
    if (open && !open.contains(e.target)) close();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  function highlight() {
    document.querySelectorAll("mark.target").forEach(function (m) { m.classList.remove("target"); });
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    document.querySelectorAll("mark[data-passage]").forEach(function (m) {
      if ((" " + m.getAttribute("data-passage") + " ").indexOf(" " + id + " ") >= 0) m.classList.add("target");
    });
  }
  window.addEventListener("hashchange", highlight);
  document.addEventListener("DOMContentLoaded", highlight);
})();
// Search page: query the Pagefind index that `digest build` writes into pagefind/, in
// shards (pagefind/<name>/) listed in pagefind/shards.json: the first is loaded, the others
// are merged into it, and each search runs on all of them.
(function () {
  "use strict";
  var form = document.querySelector("form.search[data-pagefind]");
  if (!form) return;
  var input = form.querySelector("input"), list = document.getElementById("results"),
      status = document.getElementById("search-status"), engine = null;
  async function start() {
    var listed = new URL(form.getAttribute("data-pagefind"), location.href);
    var response = await fetch(listed.href, {cache: "no-cache"});
    if (!response.ok) throw new Error("no search index");
    var names = (await response.json()).shards;
    if (!names.length) return null; // a site with no story yet
    var pf = await import(new URL(names[0] + "/pagefind.js", listed).href);
    await Promise.all(names.slice(1).map(function (name) {
      return pf.mergeIndex(new URL(name + "/", listed).href);
    }));
    return pf;
  }
  function load() {
    if (!engine) engine = start().catch(function (err) { engine = null; throw err; });
    return engine;
  }
  function item(data) {
    var li = document.createElement("li"), a = document.createElement("a"), p = document.createElement("p");
    a.href = data.url; a.textContent = (data.meta && data.meta.title) || data.url;
    p.innerHTML = data.excerpt; // Pagefind escapes page text and adds only <mark>
    li.appendChild(a); li.appendChild(p); return li;
  }
  async function run(q) {
    list.textContent = "";
    if (!q) { status.textContent = ""; return; }
    status.textContent = "Searching\u2026";
    try {
      var pf = await load();
      var found = pf ? await pf.search(q) : {results: []};
      var data = await Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
      data.forEach(function (d) { list.appendChild(item(d)); });
      status.textContent = found.results.length + " result" + (found.results.length === 1 ? "" : "s") + " for \u201c" + q + "\u201d";
    } catch (err) {
      status.textContent = location.protocol === "file:"
        ? "Search is unavailable here (it needs the site to be served over http)."
        : "Search is unavailable: this site has no search index (yet).";
    }
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); history.replaceState(null, "", "?q=" + encodeURIComponent(input.value)); run(input.value.trim()); });
  var q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; run(q); }
})();
