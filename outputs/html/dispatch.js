/* The script of the web edition written by dispatch: the switch between the reading and the
 * diplomatic text, footnotes opened in place, the filters of the index, and the search.
 *
 * Every page works without it (links to the notes, the index unfiltered). It makes no request:
 * the search index is a script the search page loads (window.DISPATCH_SEARCH), since a page
 * opened from file:// cannot fetch(). Text from the edition is only ever set as textContent.
 */
(function () {
  "use strict";

  var MODES = ["reading", "diplomatic"];

  function param(name) {
    try {
      return new URLSearchParams(window.location.search).get(name);
    } catch (e) {
      return null;
    }
  }

  function remembered() {
    try {
      return window.localStorage.getItem("dispatch-mode");
    } catch (e) {
      return null;
    }
  }

  function remember(mode) {
    try {
      window.localStorage.setItem("dispatch-mode", mode);
    } catch (e) {
      /* storage refused (private window, file:// policy): the switch still works */
    }
  }

  /* ---- reading / diplomatic ---- */

  function blocksOfTheText() {
    return document.querySelectorAll(".ed-edition .ed-head, .ed-edition p[id], .ed-edition li[id]");
  }

  function inBothModes(node) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    return element && !element.closest(".d, .r");
  }

  /* the reader's place: the text at the top of the window (below the sticky switch), if it is
     in both texts, otherwise the first block of both texts that reaches below that line; with
     how far from the top of the window it stands */
  function readersPlace(switchBox) {
    var top = Math.max(0, switchBox.parentNode.getBoundingClientRect().bottom);
    var edition = document.querySelector(".ed-edition");
    if (edition && document.caretRangeFromPoint) {
      var column = edition.getBoundingClientRect();
      for (var y = top + 2; y < top + 120; y += 6) {
        for (var x = column.left + 4; x < column.right; x += 16) {  // along the line, past a deletion
          var range = document.caretRangeFromPoint(x, y);
          var node = range && range.startContainer;
          if (node && node.nodeType === 3 && range.startOffset < node.length && edition.contains(node) &&
              inBothModes(node)) {
            range.setEnd(node, range.startOffset + 1);  // a character: a caret between lines is ambiguous
            var box = range.getBoundingClientRect();
            if (box.height > 0 && box.top >= top - 1) return { at: range, top: box.top };  // a whole line
          }
        }
      }
    }
    var blocks = blocksOfTheText();
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      if (!inBothModes(block)) continue;
      var rect = block.getBoundingClientRect();
      if (rect.height > 0 && rect.bottom > top) return { at: block, top: rect.top };
    }
    return null;
  }

  var lastPlace = null;  // the place the last switch kept, while the reader has not scrolled since

  function setMode(mode, switchBox, keepPlace) {
    if (MODES.indexOf(mode) < 0) return;
    var place = null;
    if (keepPlace) {
      place = lastPlace && lastPlace.scrollY === window.scrollY ? lastPlace : readersPlace(switchBox);
    }
    MODES.forEach(function (m) {
      document.body.classList.toggle("mode-" + m, m === mode);
    });
    switchBox.querySelectorAll('input[name="ed-mode"]').forEach(function (input) {
      input.checked = input.value === mode;
    });
    if (place) {
      window.scrollBy(0, place.at.getBoundingClientRect().top - place.top);
      lastPlace = { at: place.at, top: place.top, scrollY: window.scrollY };
    }
  }

  function initModeSwitch() {
    var switchBox = document.querySelector(".ed-mode");
    if (!switchBox) return;
    switchBox.hidden = false;
    var wanted = param("mode") || remembered();
    if (wanted && wanted !== "reading") {
      setMode(wanted, switchBox, false);
      var target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
      if (target) target.scrollIntoView();
    }
    switchBox.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name !== "ed-mode" || !input.checked) return;
      setMode(input.value, switchBox, true);
      remember(input.value);
    });
  }

  /* the words a search looked for, marked in the paragraph its result leads to */
  function markSearchedWords() {
    var query = param("q");
    var target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
    if (!query || !target || !document.querySelector(".ed-edition")) return;
    var terms = tokens(query);
    var walker = document.createTreeWalker(target, NodeFilter.SHOW_TEXT);
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (node) {
      if (node.parentElement.closest(".ed-permalink, .ed-fn")) return;
      var text = node.nodeValue;
      var found = [];
      text.replace(WORD, function (word, offset) {
        if (isSearched(fold(word), terms)) found.push([offset, word.length]);
        return word;
      });
      for (var i = found.length - 1; i >= 0; i--) {
        var hit = node.splitText(found[i][0]);
        hit.splitText(found[i][1]);
        var mark = document.createElement("mark");
        hit.parentNode.replaceChild(mark, hit);
        mark.appendChild(hit);
      }
    });
  }

  /* ---- footnotes opened in place ---- */

  function closeNote(link, popup) {
    popup.remove();
    link.setAttribute("aria-expanded", "false");
  }

  function openNote(link, note) {
    var popup = document.createElement("span");
    popup.className = "ed-fn-popup";
    popup.setAttribute("role", "note");
    popup.tabIndex = -1;
    popup.dataset.note = note.id;
    note.childNodes.forEach(function (child) {
      if (child.nodeType === 1 && child.matches(".ed-backref, .ed-permalink, .ed-footnote-n")) return;
      popup.appendChild(child.cloneNode(true));
    });
    popup.querySelectorAll("[id]").forEach(function (element) {
      element.removeAttribute("id");
    });
    popup.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closeNote(link, popup);
        link.focus();
      }
    });
    link.parentNode.insertAdjacentElement("afterend", popup);
    link.setAttribute("aria-expanded", "true");
    return popup;
  }

  function initFootnotes() {
    document.querySelectorAll("a.ed-noteref").forEach(function (link) {
      var note = document.getElementById(link.getAttribute("href").slice(1));
      if (!note) return;
      link.setAttribute("aria-expanded", "false");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var next = link.parentNode.nextElementSibling;
        if (next && next.classList.contains("ed-fn-popup") && next.dataset.note === note.id) {
          closeNote(link, next);
        } else {
          openNote(link, note);
        }
      });
    });
  }

  /* ---- the index: filters by person and year ---- */

  function initFilters() {
    var form = document.getElementById("filters");
    if (!form) return;
    var person = form.elements.person;
    var year = form.elements.year;
    var status = document.getElementById("filter-status");
    var rows = document.querySelectorAll("table.documents tbody tr");
    form.hidden = false;
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = (!person.value || row.dataset.persons.split(" ").indexOf(person.value) >= 0) &&
          (!year.value || row.dataset.year === year.value);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      status.textContent = shown === rows.length
        ? rows.length + (rows.length === 1 ? " document" : " documents")
        : shown + " of " + rows.length + " documents shown";
    }
    ["person", "year"].forEach(function (name) {
      var value = param(name);
      var select = form.elements[name];
      if (value && Array.prototype.some.call(select.options, function (o) { return o.value === value; })) {
        select.value = value;
      }
    });
    person.addEventListener("change", apply);
    year.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply();
  }

  /* ---- search ---- */

  var WORD = /[\p{L}\p{N}]+/gu;
  var HAN = /([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])/u;

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  /* the same words as pipeline.writers.html.words */
  function tokens(text) {
    var out = [];
    (fold(text).match(WORD) || []).forEach(function (word) {
      word.split(HAN).forEach(function (part) {
        if (part) out.push(part);
      });
    });
    return out;
  }

  function matches(word, term) {
    return word === term || (term.length >= 3 && word.lastIndexOf(term, 0) === 0);
  }

  function isSearched(folded, terms) {
    return terms.some(function (term) {
      return matches(folded, term) || (HAN.test(term) && folded.indexOf(term) >= 0);
    });
  }

  function has(table, key) {
    return Object.prototype.hasOwnProperty.call(table, key);
  }

  /* the blocks of one source whose words (in one table) match a term */
  function lookUp(table, term) {
    var found = {};
    if (has(table, term)) {
      table[term].forEach(function (b) { found[b] = true; });
    }
    if (term.length >= 3) {
      Object.keys(table).forEach(function (word) {
        if (word !== term && matches(word, term)) table[word].forEach(function (b) { found[b] = true; });
      });
    }
    return found;
  }

  /* the paragraphs that have every term, source by source, in the order of the index */
  function search(index, query) {
    var terms = tokens(query).filter(function (t, i, all) { return all.indexOf(t) === i; });
    var hits = [];
    if (!terms.length) return { terms: terms, hits: hits };
    index.sources.forEach(function (source) {
      var found = null;
      var diplomaticOnly = {};
      terms.forEach(function (term) {
        if (found !== null && !Object.keys(found).length) return;
        var reading = lookUp(source.words, term);
        var diplomatic = lookUp(source.diplomatic, term);
        var here = {};
        Object.keys(reading).forEach(function (b) { here[b] = true; });
        Object.keys(diplomatic).forEach(function (b) {
          here[b] = true;
          if (!reading[b]) diplomaticOnly[b] = true;
        });
        if (found === null) {
          found = here;
        } else {
          Object.keys(found).forEach(function (b) { if (!here[b]) delete found[b]; });
        }
      });
      Object.keys(found).map(Number).sort(function (a, b) { return a - b; }).forEach(function (b) {
        var block = source.blocks[b];
        var diplomatic = !!diplomaticOnly[b];
        hits.push({ page: source.id + ".html", anchor: block[0], title: source.documents[block[1]][1],
                    snippet: diplomatic && block.length > 3 ? block[3] : block[2], diplomatic: diplomatic });
      });
    });
    return { terms: terms, hits: hits };
  }

  function highlighted(text, terms) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(WORD, function (word, offset) {
      var folded = fold(word);
      if (isSearched(folded, terms)) {
        fragment.appendChild(document.createTextNode(text.slice(last, offset)));
        var mark = document.createElement("mark");
        mark.textContent = word;
        fragment.appendChild(mark);
        last = offset + word.length;
      }
      return word;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  var LIMIT = 200;

  function showResults(query) {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    list.textContent = "";
    var index = window.DISPATCH_SEARCH;
    if (!index) {
      status.textContent = "The search index (search-index.js) could not be loaded.";
      return;
    }
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    var result = search(index, query);
    var count = result.hits.length;
    status.textContent = (count === 0 ? "No paragraph" : count === 1 ? "1 paragraph" : count + " paragraphs") +
      " found for \u201c" + query.trim() + "\u201d" + (count > LIMIT ? "; the first " + LIMIT + " are listed." : ".");
    result.hits.slice(0, LIMIT).forEach(function (hit) {
      var href = hit.page + "?" + (hit.diplomatic ? "mode=diplomatic&" : "") + "q=" +
        encodeURIComponent(query.trim()) + "#" + hit.anchor;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = href;
      link.className = "result-title";
      link.textContent = hit.title;
      item.appendChild(link);
      if (hit.diplomatic) {
        var where = document.createElement("span");
        where.className = "result-where";
        where.textContent = " (in the diplomatic text: a deletion or a received form)";
        item.appendChild(where);
      }
      var snippet = document.createElement("p");
      snippet.appendChild(highlighted(hit.snippet, result.terms));
      item.appendChild(snippet);
      list.appendChild(item);
    });
  }

  function initSearch() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var input = form.elements.q;
    var query = param("q") || "";
    input.value = query;
    showResults(query);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showResults(input.value);
    });
  }

  function init() {
    initModeSwitch();
    markSearchedWords();
    initFootnotes();
    initFilters();
    initSearch();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
