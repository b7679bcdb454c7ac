// Staff pages: a busy state on slow forms (<form data-busy-text="...">), so an upload or
// an import is not sent twice by an impatient second click. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.dataset || !form.dataset.busyText) { return; }
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    button.dataset.idleText = button.textContent;
    window.setTimeout(function () {  // after the browser has collected the form data
      button.disabled = true;
      button.textContent = form.dataset.busyText;
    }, 0);
  });

  // Coming back with the browser's Back button shows the page as it was left: undo the
  // busy state so the form can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("button[data-idle-text]").forEach(function (button) {
      button.disabled = false;
      button.textContent = button.dataset.idleText;
    });
  });
})();
