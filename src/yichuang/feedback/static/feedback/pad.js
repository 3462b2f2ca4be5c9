// The rating pad: while idle, ask every few seconds whether a service was just finished at this window and show
// it; the thank-you page returns to idle by itself. Plain JS, no inline script (CSP).
(function () {
  "use strict";
  var POLL_MS = 3000;
  var THANKS_MS = 5000;

  var thanks = document.getElementById("pad-thanks");
  if (thanks) {
    setTimeout(function () { window.location.replace(thanks.dataset.idleUrl); }, THANKS_MS);
    return;
  }
  var pad = document.getElementById("pad");
  if (!pad) { return; }
  var shown = pad.dataset.service || "";
  var busy = false;
  // While the person fills in the form, the page stays; it is replaced only when the service changes.
  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(pad.dataset.currentUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && (data.service || "") !== shown) { window.location.reload(); }
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  setInterval(poll, POLL_MS);
})();
