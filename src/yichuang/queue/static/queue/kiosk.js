// Kiosk ticket page: back to the start screen after a while, so the next person starts fresh.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var card = document.querySelector("[data-return-after]");
    if (!card) { return; }
    var seconds = parseInt(card.dataset.returnAfter, 10) || 45;
    setTimeout(function () { window.location.assign(card.dataset.returnUrl); }, seconds * 1000);
  });
})();
