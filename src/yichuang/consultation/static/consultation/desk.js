// 咨询台: knowledge suggestions while the question is typed (an HTML fragment from /consult/suggest/), and the
// answer / escalation fields shown by the chosen result. Plain script, no external code; works without it too.
(function () {
  "use strict";
  var box = document.querySelector("[data-suggest-url]");
  var field = document.querySelector("[data-suggest-source]");
  if (box && field) {
    var timer = null, last = null, seq = 0;
    var load = function () {
      var text = field.value.trim();
      if (text === last) { return; }
      last = text;
      var params = new URLSearchParams();
      params.set("q", text);
      box.querySelectorAll("input[name=articles]:checked").forEach(function (c) { params.append("keep", c.value); });
      var mine = ++seq;
      fetch(box.getAttribute("data-suggest-url") + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && mine === seq) { box.innerHTML = html; } })
        .catch(function () { /* the desk works without suggestions */ });
    };
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    if (field.value.trim()) { load(); }
  }
  var solved = document.querySelectorAll("input[name=solved]");
  var toggle = function () {
    var chosen = document.querySelector("input[name=solved]:checked");
    var escalate = chosen && chosen.value === "0";
    document.querySelectorAll("[data-when-escalated]").forEach(function (el) { el.hidden = !escalate; });
  };
  solved.forEach(function (r) { r.addEventListener("change", toggle); });
  if (solved.length) { toggle(); }
})();
