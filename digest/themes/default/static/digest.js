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
