// The scenario player: bring the latest line and the choices into view after each step.
(function () {
  "use strict";
  var now = document.getElementById("now");
  if (now && !window.location.hash) {
    now.scrollIntoView({ block: "start" });
  }
})();
