// The handover form: show only the check that belongs to the chosen collector (法定代表人: the licence;
// 委托代理人: the authorisation). Without this script every check stays visible and the server decides.
(function () {
  "use strict";
  function setup(form) {
    var radios = form.querySelectorAll("input[name=receiver]");
    var blocks = form.querySelectorAll("[data-for-receiver]");
    if (!radios.length || !blocks.length) { return; }
    function update() {
      var chosen = form.querySelector("input[name=receiver]:checked");
      var role = chosen ? chosen.value : "";
      blocks.forEach(function (block) {
        block.hidden = block.getAttribute("data-for-receiver").split(" ").indexOf(role) < 0;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-signature-form]").forEach(setup);
  });
})();
