// healthsearch embeddable search box (docs/embedding.md).
//
// It enhances every <form data-healthsearch> whose action is a healthsearch
// server's /search page: the results of /api/search show under the form,
// and the input suggests completions from /api/suggest. Without the script,
// or when it fails, the form still works: it submits to /search.
//
// Everything it shows is document text, so it builds DOM nodes and sets
// textContent; it never assigns server text to innerHTML.
(function () {
  "use strict";

  var SUGGEST_DELAY_MS = 150;

  // apiBase is the server the form's action points at, so a site writes
  // the address once and the form works without this script too.
  function apiBase(form) {
    var action = new URL(form.getAttribute("action") || "/search", document.baseURI);
    return action.origin + action.pathname.replace(/\/search\/?$/, "");
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ENTITIES are the only references the server's escaper writes (Go's
  // html.EscapeString); anything else is shown as the text it is.
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#34;": "\"", "&#39;": "'" };

  function decodeEntities(s) {
    return s.replace(/&(?:amp|lt|gt|quot|#34|#39);/g, function (m) { return ENTITIES[m]; });
  }

  // appendMarked renders title_html or snippet_html: HTML-escaped text
  // with matches in <mark>. No HTML parser ever sees the string: only the
  // literal tags <mark> and </mark> are recognised, the pieces between
  // them are decoded from the five entities and set as text. So any other
  // markup a server might send, even a hostile one, shows as characters
  // and never becomes an element, an attribute or a handler.
  function appendMarked(parent, html) {
    if (typeof html !== "string") return;
    var inMark = false;
    html.split(/(<\/?mark>)/).forEach(function (part) {
      if (part === "<mark>") {
        inMark = true;
      } else if (part === "</mark>") {
        inMark = false;
      } else if (part) {
        var text = decodeEntities(part);
        parent.appendChild(inMark ? el("mark", "", text) : document.createTextNode(text));
      }
    });
  }

  // pageURL makes a hit's link absolute on the search server. Only server
  // paths are accepted: a javascript: or other-site URL is never linked.
  function pageURL(base, path) {
    if (typeof path !== "string" || path.charAt(0) !== "/" || path.charAt(1) === "/") return "";
    return base + path;
  }

  function getJSON(url, signal) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "omit", signal: signal })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      });
  }

  function setup(form) {
    var input = form.querySelector("input[name=q]");
    if (!input || !window.fetch) return;
    var base = apiBase(form);
    var size = parseInt(form.getAttribute("data-size"), 10) || 5;
    var results = form.getAttribute("data-results") && document.getElementById(form.getAttribute("data-results"));
    if (!results) {
      results = el("div", "hs-results");
      form.parentNode.insertBefore(results, form.nextSibling);
    }
    results.setAttribute("aria-live", "polite");

    var searches = 0; // answers to superseded searches are dropped
    var controller = null;

    function fullResultsLink(q, label) {
      var p = el("p", "hs-more");
      var a = el("a", "", label);
      a.href = base + "/search?" + new URLSearchParams({ q: q });
      p.appendChild(a);
      return p;
    }

    function show(q, res) {
      results.textContent = "";
      if (!res.hits || !res.hits.length) {
        results.appendChild(el("p", "hs-summary", "没有找到与“" + q + "”相关的内容。"));
        return;
      }
      results.appendChild(el("p", "hs-summary", "共 " + res.total + " 条结果"));
      var list = el("ol", "hs-hits");
      res.hits.forEach(function (hit) {
        var li = el("li", "hs-hit");
        var title = el("a", "hs-title");
        var href = pageURL(base, hit.url);
        if (href) title.href = href;
        appendMarked(title, hit.title_html);
        li.appendChild(title);
        if (hit.date) li.appendChild(el("span", "hs-date", hit.date));
        var snippet = el("p", "hs-snippet");
        appendMarked(snippet, hit.snippet_html);
        li.appendChild(snippet);
        list.appendChild(li);
      });
      results.appendChild(list);
      if (res.total > res.hits.length) results.appendChild(fullResultsLink(q, "查看全部结果"));
    }

    function fail(q) {
      results.textContent = "";
      var p = el("p", "hs-error", "搜索暂时不可用。");
      p.setAttribute("role", "alert");
      results.appendChild(p);
      results.appendChild(fullResultsLink(q, "在搜索页查看结果"));
    }

    form.addEventListener("submit", function (e) {
      var q = input.value.trim();
      if (!q) return; // let the browser show the server's page
      e.preventDefault();
      if (controller) controller.abort();
      controller = new AbortController();
      var mine = ++searches;
      results.setAttribute("aria-busy", "true");
      getJSON(base + "/api/search?" + new URLSearchParams({ q: q, size: String(size) }), controller.signal)
        .then(function (res) {
          if (mine === searches) show(q, res);
        }, function (err) {
          if (mine === searches && err.name !== "AbortError") fail(q);
        })
        .then(function () {
          if (mine === searches) results.removeAttribute("aria-busy");
        });
    });

    // Suggestions go into a native <datalist>: the browser draws and
    // navigates it, so the box looks at home on any site.
    var list = el("datalist");
    list.id = (form.id || "healthsearch") + "-suggestions";
    form.appendChild(list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = 0;
    var suggestions = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var prefix = input.value.trim();
      if (!prefix) {
        list.textContent = "";
        return;
      }
      timer = setTimeout(function () {
        var mine = ++suggestions;
        getJSON(base + "/api/suggest?" + new URLSearchParams({ q: prefix, size: "8" }))
          .then(function (res) {
            if (mine !== suggestions) return;
            list.textContent = "";
            (res.suggestions || []).forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.text;
              list.appendChild(option);
            });
          }, function () {
            // Suggestions are a convenience; searching still works.
          });
      }, SUGGEST_DELAY_MS);
    });
  }

  function init() {
    document.querySelectorAll("form[data-healthsearch]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
