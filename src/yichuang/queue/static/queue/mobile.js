// The person's ticket page: asks the server every few seconds and updates itself; vibrates when called.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var card = document.getElementById("ticket-status");
    if (!card) { return; }
    var url = card.dataset.statusUrl, every = parseInt(card.dataset.interval || "3000", 10);
    var lastStatus = null;
    function field(name) { return card.querySelector('[data-field="' + name + '"]'); }
    function set(name, text) { var el = field(name); if (el && el.textContent !== text) { el.textContent = text; } }
    function render(s) {
      set("status_label", s.status_label);
      set("message", s.message);
      set("ahead", s.ahead === null ? "—" : s.ahead + " " + card.dataset.unitPerson);
      set("wait", s.wait_minutes ? s.wait_minutes[0] + "–" + s.wait_minutes[1] + " " + card.dataset.unitMinutes : "—");
      set("window", s.window ? s.window + " " + card.dataset.unitWindow : "—");
      set("updated", card.dataset.updated + " " + new Date().toLocaleTimeString("zh-CN", {hour12: false}));
      card.classList.toggle("near", !!s.near);
      card.classList.toggle("called", !!s.window);
      card.dataset.status = s.status;
      if (s.status === "called" && lastStatus !== "called" && lastStatus !== null && navigator.vibrate) {
        navigator.vibrate([300, 150, 300]);
      }
      lastStatus = s.status;
    }
    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) { if (s) { render(s); } })
        .catch(function () { /* offline for a moment: try again next tick */ })
        .then(function () {
          if (lastStatus !== "finished" && lastStatus !== "cancelled") { setTimeout(tick, every); }
        });
    }
    setTimeout(tick, every);
  });
})();
