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
})();
