// Display board: polls the feed every second; each call is shown and spoken in Mandarin in turn, held long
// enough to read; a second call waits for the first instead of cutting it off.
// The windows working now are laid out by zone in columns that fit the screen; when a hall has more than one
// screenful, the pages rotate every data-rotate seconds (第 1/3 页) while the last calls stay in their own strip.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (!board) { return; }
    var url = board.dataset.feedUrl, cursor = parseInt(board.dataset.cursor || "0", 10);
    var zoneParam = board.dataset.zone || "";
    var every = parseInt(board.dataset.interval || "1000", 10), hold = parseFloat(board.dataset.hold || "6") * 1000;
    var rotateMs = parseFloat(board.dataset.rotate || "10") * 1000;
    function text(id) { return document.getElementById(id).textContent; }
    var unitWindow = text("unit-window"), waitingText = text("text-waiting"), continued = text("text-continued");
    var pageFormat = text("text-page");
    var queue = [], busy = false, soundBlocked = false, voice = null;
    var gate = document.getElementById("sound-gate");

    // --- speech ------------------------------------------------------------------------------------------
    function pickVoice() {
      if (!("speechSynthesis" in window)) { return; }
      var voices = window.speechSynthesis.getVoices();
      voice = voices.filter(function (v) { return /^zh(-|_)?(CN|Hans)?/i.test(v.lang); })[0] || null;
    }
    if ("speechSynthesis" in window) {
      pickVoice();
      window.speechSynthesis.onvoiceschanged = pickVoice;
    }
    gate.addEventListener("click", function () {
      soundBlocked = false;
      gate.hidden = true;
      if ("speechSynthesis" in window) { window.speechSynthesis.speak(new SpeechSynthesisUtterance("")); }
    });

    function speak(words, done) {
      if (!("speechSynthesis" in window) || soundBlocked) { done(); return; }
      var u = new SpeechSynthesisUtterance(words), finished = false;
      u.lang = "zh-CN"; u.rate = 0.9;
      if (voice) { u.voice = voice; }
      function end() { if (!finished) { finished = true; done(); } }
      u.onend = end;
      u.onerror = function (e) {
        if (e && e.error === "not-allowed") { soundBlocked = true; gate.hidden = false; }
        end();
      };
      window.speechSynthesis.speak(u);
      setTimeout(end, 15000); // a voice that never reports its end must not stop the board
    }

    function next() {
      if (busy || !queue.length) { return; }
      busy = true;
      var call = queue.shift(), box = document.getElementById("announce");
      box.classList.remove("idle");
      document.getElementById("announce-text").textContent = call.number;
      document.getElementById("announce-sub").textContent = call.text;
      var spoken = false, held = false;
      function release() {
        if (spoken && held) {
          busy = false;
          if (!queue.length) { box.classList.add("idle"); }
          next();
        }
      }
      speak(call.speech, function () { spoken = true; release(); });
      setTimeout(function () { held = true; release(); }, hold);
    }

    // --- windows, by zone, in pages --------------------------------------------------------------------------
    var panel = document.getElementById("windows-panel"), pagesBox = document.getElementById("pages");
    var indicator = document.getElementById("page-indicator"), none = document.getElementById("no-windows");
    var pages = [], shown = 0, shape = null, rotation = null;

    function el(tag, cls, content) {
      var node = document.createElement(tag);
      if (cls) { node.className = cls; }
      if (content !== undefined) { node.textContent = content; }
      return node;
    }
    function zoneHead(zone, more) {
      var head = el("div", "zone-head");
      head.dataset.zone = zone.code;
      head.appendChild(el("span", "letter", zone.letter));
      head.appendChild(el("span", "zname", zone.name + (more ? continued : "")));
      var count = el("span", "zwait");
      count.appendChild(document.createTextNode(waitingText + " "));
      count.appendChild(el("b", "", String(zone.waiting)));
      head.appendChild(count);
      return head;
    }
    function windowRow(w) {
      var row = el("div", "win");
      row.dataset.window = w.number;
      row.appendChild(el("span", "wn", String(w.number)));
      row.appendChild(el("span", "wname", w.name));
      row.appendChild(el("span", "num", w.ticket || ""));
      return row;
    }
    function columnsPerPage() {
      return Math.max(1, Math.floor(panel.clientWidth / 400));
    }
    function overflows(col) { return col.scrollHeight > col.clientHeight + 1; }

    // Fill columns top to bottom, pages left to right, measuring as it goes: whatever the screen, the fonts
    // (large print) or the names, nothing is cut off. A zone split over two columns repeats its name (续).
    // `limit`: the columns' height in pixels (0: the page's; undefined: the page's, then balanced if one page).
    function layout(zones, limit) {
      var keep = shown;
      pagesBox.textContent = "";
      pages = [];
      none.hidden = zones.length > 0;
      var perPage = columnsPerPage(), page = null, col = null, cols = 0;
      function newPage() {
        if (page) { page.hidden = true; }
        page = el("div", "page");
        page.style.gridTemplateColumns = "repeat(" + perPage + ", minmax(0, 1fr))";
        pagesBox.appendChild(page);
        pages.push(page);
        cols = 0;
        newColumn();
      }
      function newColumn() {
        if (page === null || cols === perPage) { newPage(); return; }
        col = el("div", "col");
        if (limit) { col.style.maxHeight = limit + "px"; }
        page.appendChild(col);
        cols += 1;
      }
      zones.forEach(function (zone) {
        if (page === null) { newPage(); }
        var head = zoneHead(zone, false);
        col.appendChild(head);
        if (overflows(col) && col.children.length > 1) { col.removeChild(head); newColumn(); col.appendChild(head); }
        zone.windows.forEach(function (w) {
          var row = windowRow(w);
          col.appendChild(row);
          if (!overflows(col) || col.children.length === 1) { return; }
          col.removeChild(row);
          var lone = col.lastChild === head && col.children.length > 1;
          if (lone) { col.removeChild(head); }
          newColumn();
          head = lone ? head : zoneHead(zone, true);
          col.appendChild(head);
          col.appendChild(row);
        });
      });
      // Everything on one page: balance the columns instead of leaving the last one nearly empty.
      if (limit === undefined && pages.length === 1 && perPage > 1) {
        var used = 0, tallest = 0;
        page.querySelectorAll(".col > *").forEach(function (node) {
          used += node.offsetHeight;
          tallest = Math.max(tallest, node.offsetHeight);
        });
        var balanced = Math.ceil(used / perPage) + 2 * tallest;
        if (balanced < col.clientHeight) {
          layout(zones, balanced);
          if (pages.length === 1) { return; }
          layout(zones, 0);
          return;
        }
      }
      pages.forEach(function (p) { p.hidden = true; });
      show(keep < pages.length ? keep : 0);
      if (rotation) { clearInterval(rotation); rotation = null; }
      if (pages.length > 1) { rotation = setInterval(function () { show((shown + 1) % pages.length); }, rotateMs); }
    }
    function show(index) {
      if (pages[shown]) { pages[shown].hidden = true; }
      shown = index;
      if (pages[shown]) { pages[shown].hidden = false; }
      indicator.hidden = pages.length < 2;
      indicator.textContent = pageFormat.replace("{page}", String(shown + 1)).replace("{pages}", String(pages.length));
      board.dataset.page = String(shown + 1);
      board.dataset.pages = String(pages.length);
    }
    function shapeOf(zones) {
      return JSON.stringify(zones.map(function (z) {
        return [z.code, z.name, z.windows.map(function (w) { return [w.number, w.name]; })];
      }));
    }
    function renderZones(zones) {
      var now = shapeOf(zones);
      if (now !== shape) { shape = now; layout(zones); return; }
      zones.forEach(function (zone) {
        pagesBox.querySelectorAll('.zone-head[data-zone="' + zone.code + '"] .zwait b').forEach(function (b) {
          b.textContent = String(zone.waiting);
        });
        zone.windows.forEach(function (w) {
          var cell = pagesBox.querySelector('.win[data-window="' + w.number + '"] .num');
          if (cell) { cell.textContent = w.ticket || ""; }
        });
      });
    }
    var relayout = null;
    window.addEventListener("resize", function () {
      clearTimeout(relayout);
      relayout = setTimeout(function () { shape = null; renderZones(latest); }, 200);
    });

    function renderRecent(recent) {
      var list = document.getElementById("recent");
      while (list.firstChild) { list.removeChild(list.firstChild); }
      recent.forEach(function (c) {
        var li = document.createElement("li");
        [["n", c.number], ["", c.window + " " + unitWindow], ["", c.at]].forEach(function (p) {
          var span = document.createElement("span"); if (p[0]) { span.className = p[0]; } span.textContent = p[1]; li.appendChild(span);
        });
        list.appendChild(li);
      });
      fitRecent();
    }
    // The last calls, newest first, as many as the strip holds on this screen: a call is shown whole or not at all.
    function fitRecent() {
      var list = document.getElementById("recent");
      while (list.children.length > 1 && list.scrollHeight > list.clientHeight + 1) {
        list.removeChild(list.lastChild);
      }
    }

    var latest = JSON.parse(document.getElementById("board-zones").textContent);
    renderZones(latest);
    fitRecent();

    function tick() {
      var query = "?since=" + cursor + (zoneParam ? "&zone=" + encodeURIComponent(zoneParam) : "");
      fetch(url + query, {cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { return; }
          latest = s.zones;
          renderZones(s.zones);
          renderRecent(s.recent);
          document.getElementById("waiting-count").textContent = s.waiting;
          s.announce.forEach(function (c) { if (c.id > cursor) { queue.push(c); } });
          cursor = Math.max(cursor, s.cursor);
          next();
        })
        .catch(function () { /* network hiccup: next tick */ })
        .then(function () { setTimeout(tick, every); });
    }
    function clock() {
      document.getElementById("clock").textContent = new Date().toLocaleTimeString("zh-CN", {hour12: false});
    }
    clock(); setInterval(clock, 1000);
    setTimeout(tick, every);
  });
})();
