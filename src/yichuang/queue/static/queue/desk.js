// Window desk: keeps the waiting list of the zone current without reloading the page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("waiting-list");
    if (!list) { return; }
    function tick() {
      fetch(list.dataset.queueUrl, {cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (q) {
          if (!q) { return; }
          while (list.firstChild) { list.removeChild(list.firstChild); }
          q.waiting.forEach(function (t) {
            var li = document.createElement("li");
            li.className = t.front ? "front" : t.priority ? "priority" : t.appointment ? "booked" : "";
            li.textContent = t.number;
            list.appendChild(li);
          });
          document.getElementById("waiting-count").textContent = q.waiting.length;
        })
        .catch(function () { /* try again */ })
        .then(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 3000);
  });
})();
