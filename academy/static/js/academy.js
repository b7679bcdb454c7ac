// Window Academy: small progressive enhancements (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  // Confirm dangerous actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Auto-submit filter selects: <select data-autosubmit>.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.dataset && el.dataset.autosubmit !== undefined && el.form) {
      el.form.submit();
    }
  });

  // Progress bars of background jobs: <div data-job-url="/api/v1/jobs/ID" data-done-url="...">.
  function pollJob(box) {
    var bar = box.querySelector(".progress-bar");
    var label = box.querySelector("[data-job-label]");
    fetch(box.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        var pct = job.total ? Math.round((100 * job.done) / job.total) : (job.state === "finished" ? 100 : 0);
        bar.style.width = pct + "%";
        bar.setAttribute("aria-valuenow", String(pct));
        bar.textContent = pct + "%";
        if (label) { label.textContent = job.done + " / " + job.total; }
        if (job.state === "finished" || job.state === "failed") {
          bar.classList.remove("progress-bar-animated");
          bar.classList.add(job.state === "finished" ? "bg-success" : "bg-danger");
          if (box.dataset.doneUrl) { window.location.assign(box.dataset.doneUrl); }
          return;
        }
        window.setTimeout(function () { pollJob(box); }, 700);
      })
      .catch(function () { window.setTimeout(function () { pollJob(box); }, 2000); });
  }
  document.querySelectorAll("[data-job-url]").forEach(pollJob);
})();
