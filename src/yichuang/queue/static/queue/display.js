// Display board: polls the feed every second; each call is shown and spoken in Mandarin in turn, held long
// enough to read; a second call waits for the first instead of cutting it off.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (!board) { return; }
    var url = board.dataset.feedUrl, cursor = parseInt(board.dataset.cursor || "0", 10);
    var every = parseInt(board.dataset.interval || "1000", 10), hold = parseFloat(board.dataset.hold || "6") * 1000;
    var unitWindow = document.getElementById("unit-window").textContent;
    var queue = [], busy = false, soundBlocked = false, voice = null;
    var gate = document.getElementById("sound-gate");

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

    function speak(text, done) {
      if (!("speechSynthesis" in window) || soundBlocked) { done(); return; }
      var u = new SpeechSynthesisUtterance(text), finished = false;
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

    function renderWindows(windows) {
      var body = document.getElementById("windows");
      windows.forEach(function (w) {
        var row = body.querySelector('tr[data-window="' + w.number + '"]');
        if (!row) {
          row = document.createElement("tr");
          row.dataset.window = w.number;
          ["win", "", "num"].forEach(function (cls) { var td = document.createElement("td"); if (cls) { td.className = cls; } row.appendChild(td); });
          body.appendChild(row);
        }
        row.children[0].textContent = w.number;
        row.children[1].textContent = w.zone;
        row.children[2].textContent = w.ticket || "";
      });
    }
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
    }

    function tick() {
      fetch(url + "?since=" + cursor, {cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { return; }
          renderWindows(s.windows);
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
