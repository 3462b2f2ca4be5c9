// Large-print mode for the elderly: a class on <html>, remembered on this device.
(function () {
  "use strict";
  var KEY = "yichuang.largePrint";
  function apply(on) {
    document.documentElement.classList.toggle("large-print", on);
    document.querySelectorAll("[data-large-print-toggle]").forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  try { apply(localStorage.getItem(KEY) === "1"); } catch (e) { /* storage may be disabled */ }
  document.addEventListener("DOMContentLoaded", function () {
    apply(document.documentElement.classList.contains("large-print"));
    document.querySelectorAll("[data-large-print-toggle]").forEach(function (b) {
      b.addEventListener("click", function () {
        var on = !document.documentElement.classList.contains("large-print");
        apply(on);
        try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* ignore */ }
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
