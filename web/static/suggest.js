// Search-box autocomplete from /api/suggest. No dependencies; without it
// the search form works the same, only without suggestions.
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var MAX = 8;
  var KIND = { title: "标题", term: "词语" };

  function init() {
    var input = document.getElementById("q");
    var list = document.getElementById("suggest-list");
    if (!input || !list || !window.fetch) return;
    var form = input.form;
    var items = [];   // current suggestions
    var active = -1;  // index of the highlighted one, -1 for none
    var timer = 0;
    var seq = 0;      // answers to superseded requests are dropped
    var controller = null;
    var cache = Object.create(null);
    var composing = false;

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }

    function highlight(i) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = i;
      if (i < 0 || !options[i]) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[i].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    }

    function show(prefix, suggestions) {
      items = suggestions || [];
      list.textContent = "";
      active = -1;
      if (!items.length || input.value.trim() !== prefix) {
        close();
        return;
      }
      // Says which text the list completes: tests wait on it, and it
      // costs nothing.
      list.dataset.prefix = prefix;
      items.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = "suggest-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.kind = s.kind;
        var text = document.createElement("span");
        text.className = "text";
        text.textContent = s.text; // text, never HTML: suggestions are document text
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = KIND[s.kind] || "";
        li.appendChild(text);
        li.appendChild(kind);
        // mousedown, not click: it fires before the input loses focus.
        li.addEventListener("mousedown", function (e) {
          e.preventDefault();
          choose(i);
        });
        list.appendChild(li);
      });
      open();
    }

    function choose(i) {
      if (!items[i]) return;
      input.value = items[i].text;
      close();
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    function request() {
      var prefix = input.value.trim();
      if (!prefix) {
        close();
        return;
      }
      if (cache[prefix]) {
        show(prefix, cache[prefix]);
        return;
      }
      var mine = ++seq;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch("/api/suggest?size=" + MAX + "&q=" + encodeURIComponent(prefix), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) {
          cache[prefix] = body.suggestions || [];
          if (mine === seq) show(prefix, cache[prefix]);
        })
        .catch(function () { /* aborted or offline: keep the box usable */ });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(request, DEBOUNCE_MS);
    }

    input.addEventListener("input", function (e) {
      // Pinyin typed into an input method is not the query yet.
      if (composing || e.isComposing) return;
      schedule();
    });
    input.addEventListener("compositionstart", function () { composing = true; });
    input.addEventListener("compositionend", function () {
      composing = false;
      schedule();
    });

    input.addEventListener("keydown", function (e) {
      if (e.isComposing || composing) return;
      var n = list.children.length;
      switch (e.key) {
        case "ArrowDown":
          e.preventDefault();
          if (list.hidden) {
            if (n) open();
            else request();
            return;
          }
          highlight(active + 1 < n ? active + 1 : 0);
          break;
        case "ArrowUp":
          if (list.hidden) return;
          e.preventDefault();
          highlight(active > 0 ? active - 1 : n - 1);
          break;
        case "Enter":
          if (!list.hidden && active >= 0) {
            e.preventDefault();
            choose(active);
          }
          break;
        case "Escape":
          if (!list.hidden) {
            e.preventDefault();
            close();
          }
          break;
        case "Tab":
          close();
          break;
      }
    });

    input.addEventListener("blur", function () { close(); });
    input.addEventListener("focus", function () {
      if (list.children.length && input.value.trim()) open();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
