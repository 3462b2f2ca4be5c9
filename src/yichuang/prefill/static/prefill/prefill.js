/* The pre-filled application's form: only the upload rows the current answers need are shown (the situation
   guide's own script says which, after each answer); the print button of the code page. */
(function () {
  "use strict";
  document.addEventListener("situation:change", function (event) {
    var needed = {};
    event.detail.materials.forEach(function (m) { needed[m.material] = true; });
    document.querySelectorAll("[data-upload-material]").forEach(function (row) {
      row.hidden = !needed[row.getAttribute("data-upload-material")];
    });
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // A self-service terminal is shared: after two idle minutes it goes back to its start page, which forgets the
  // last person's code and entries.
  var home = document.querySelector("[data-idle-home]");
  if (home) {
    var timer = null;
    var restart = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { window.location.href = home.href; }, 120000);
    };
    ["click", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, restart, { passive: true });
    });
    restart();
  }
})();
