// The scenario editor: a link to a part inside a closed <details> (a box of the graph, a
// problem in the list) opens it, so the form is in view. No inline scripts (the CSP).
(function () {
  "use strict";

  function reveal(hash) {
    if (!hash || hash.length < 2) { return; }
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) { return; }
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    target.scrollIntoView({ block: "start" });
  }

  window.addEventListener("hashchange", function () { reveal(window.location.hash); });
  reveal(window.location.hash);
})();
