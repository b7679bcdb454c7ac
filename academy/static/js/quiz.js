// The quiz attempt page: autosave every answer (on change, and at least every 30 s) with a
// sequence number, keep unsent answers on this device across reloads and lost connections
// ("unsaved" banner, resent automatically), reconcile a 409 from the server, count down the
// server's clock and submit when time is up. Without this script the page still works:
// the submit form carries every answer.
(function () {
  "use strict";
  var root = document.getElementById("quiz-attempt");
  if (!root) { return; }
  var form = document.getElementById("quiz-form");
  var statusBox = document.getElementById("quiz-status");
  var unsavedBox = document.getElementById("quiz-unsaved");
  var timer = document.getElementById("quiz-timer");
  var msg = document.getElementById("quiz-messages").dataset;
  var saveUrl = root.dataset.saveUrl;
  var storeKey = "wa-quiz-attempt-" + root.dataset.attempt;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var saved = {};     // question id -> sequence the server has
  var pending = {};   // question id -> {response, sequence} not yet acknowledged
  var inFlight = null;  // the promise of the request under way, if any
  var retryDelay = 2000;
  var retryTimer = null;
  var submitting = false;
  var closed = false;

  function fieldsets() { return Array.prototype.slice.call(form.querySelectorAll("fieldset[data-qid]")); }
  function byId(qid) { return form.querySelector('fieldset[data-qid="' + qid + '"]'); }

  // ------------------------------------------------------------ reading and writing answers
  function readResponse(fs) {
    var type = fs.dataset.type;
    var name = "q-" + fs.dataset.qid;
    if (type === "single" || type === "truefalse") {
      var checked = fs.querySelector('input[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      var ids = Array.prototype.map.call(fs.querySelectorAll('input[name="' + name + '"]:checked'),
        function (el) { return el.value; });
      return ids.length ? ids : null;
    }
    if (type === "matching") {
      var pairs = {}; var any = false;
      fs.querySelectorAll("select[data-prompt]").forEach(function (sel) {
        if (sel.value) { pairs[sel.dataset.prompt] = sel.value; any = true; }
      });
      return any ? pairs : null;
    }
    if (type === "ordering") {
      var ranks = []; var complete = true; var seen = {};
      fs.querySelectorAll("select[data-step]").forEach(function (sel) {
        if (!sel.value || seen[sel.value]) { complete = false; }
        seen[sel.value] = true;
        ranks.push([parseInt(sel.value, 10), sel.dataset.step]);
      });
      if (!complete) { return null; }
      ranks.sort(function (a, b) { return a[0] - b[0]; });
      return ranks.map(function (r) { return r[1]; });
    }
    var input = fs.querySelector('[name="' + name + '"]');
    var value = input ? input.value : "";
    return value.trim() ? value : null;
  }

  function writeResponse(fs, response) {
    var type = fs.dataset.type;
    var name = "q-" + fs.dataset.qid;
    if (type === "single" || type === "truefalse") {
      var want = response === true ? "true" : response === false ? "false" : response;
      fs.querySelectorAll('input[name="' + name + '"]').forEach(function (el) { el.checked = el.value === want; });
    } else if (type === "multiple") {
      fs.querySelectorAll('input[name="' + name + '"]').forEach(function (el) {
        el.checked = !!response && response.indexOf(el.value) >= 0;
      });
    } else if (type === "matching") {
      fs.querySelectorAll("select[data-prompt]").forEach(function (sel) {
        sel.value = (response && response[sel.dataset.prompt]) || "";
      });
    } else if (type === "ordering") {
      fs.querySelectorAll("select[data-step]").forEach(function (sel) {
        var at = response ? response.indexOf(sel.dataset.step) : -1;
        sel.value = at >= 0 ? String(at + 1) : "";
      });
    } else {
      var input = fs.querySelector('[name="' + name + '"]');
      if (input) { input.value = response || ""; }
    }
    markAnswered(fs);
  }

  function markAnswered(fs) {
    var nav = document.querySelector('[data-nav="' + fs.dataset.qid + '"]');
    if (nav) { nav.classList.toggle("answered", readResponse(fs) !== null); }
    var left = fieldsets().filter(function (f) { return readResponse(f) === null; })
      .map(function (f) { return f.id.replace("question-", ""); });
    var box = document.getElementById("quiz-unanswered");
    if (box) { box.textContent = left.length ? msg.unanswered.replace("{n}", left.join(", ")) : ""; }
  }

  // ------------------------------------------------------------ the queue on this device
  function persist() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
  }
  function restore() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }
  function pendingCount() { return Object.keys(pending).length; }

  function showStatus(text) { if (statusBox) { statusBox.textContent = text; } }
  function showUnsaved(on) { if (unsavedBox) { unsavedBox.hidden = !on; } }

  function queue(fs) {
    if (closed) { return; }
    var qid = fs.dataset.qid;
    var response = readResponse(fs);
    var last = pending[qid];
    if (last && JSON.stringify(last.response) === JSON.stringify(response)) { return; }
    var base = Math.max(saved[qid] || 0, last ? last.sequence : 0);
    pending[qid] = { response: response, sequence: base + 1 };
    persist();
    markAnswered(fs);
    flush();
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function send(qid, item) {
    return fetch(saveUrl + qid, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ response: item.response, sequence: item.sequence })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    });
  }

  // Send the queue one answer at a time; resolves true when nothing is left unsent.
  function flush() {
    if (closed) { return Promise.resolve(pendingCount() === 0); }
    if (inFlight) {  // wait for the request under way, then send what is left
      return inFlight.then(function (ok) { return ok ? flush() : false; });
    }
    var qids = Object.keys(pending);
    if (!qids.length) { showUnsaved(false); return Promise.resolve(true); }
    showStatus(msg.saving);
    var qid = qids[0];
    var item = pending[qid];
    inFlight = send(qid, item).then(function (result) {
      inFlight = null;
      var code = result.body && result.body.error && result.body.error.code;
      if (result.status === 200) {
        saved[qid] = item.sequence;
        if (pending[qid] && pending[qid].sequence === item.sequence) { delete pending[qid]; }
        retryDelay = 2000;
      } else if (result.status === 409 && code === "stale_sequence" && result.body.current) {
        // A newer answer is saved (another tab): show it rather than overwrite it.
        var current = result.body.current;
        saved[qid] = current.sequence;
        if (pending[qid] && pending[qid].sequence <= current.sequence) {
          delete pending[qid];
          var fs = byId(qid);
          if (fs) { writeResponse(fs, current.response); }
          showStatus(msg.stale);
        }
      } else if (result.status === 409) {
        closed = true; pending = {}; persist();
        showStatus(msg.closed);
        window.location.assign(root.dataset.reviewUrl);
        return false;
      } else if (result.status === 422 || result.status === 404) {
        delete pending[qid];  // the server will never take it: drop it, keep the page
      } else {
        showUnsaved(true);
        scheduleRetry();
        return false;
      }
      persist();
      if (pendingCount()) { return flush(); }
      showUnsaved(false);
      // The page's language, not the browser's: a Chinese page says 10:53:13, not 10:53:13 AM.
      var lang = document.documentElement.lang || undefined;
      showStatus(msg.saved.replace("{time}", new Date().toLocaleTimeString(lang, {hour12: false})));
      return true;
    }, function () {
      inFlight = null;
      showUnsaved(true);
      scheduleRetry();
      return false;
    });
    return inFlight;
  }

  // ------------------------------------------------------------ start
  fieldsets().forEach(function (fs) { saved[fs.dataset.qid] = parseInt(fs.dataset.sequence || "0", 10); });
  var stored = restore();
  Object.keys(stored).forEach(function (qid) {
    var fs = byId(qid);
    if (fs && stored[qid] && stored[qid].sequence > (saved[qid] || 0)) {
      pending[qid] = stored[qid];
      writeResponse(fs, stored[qid].response);  // what was typed before the reload wins
    }
  });
  persist();
  fieldsets().forEach(markAnswered);
  if (pendingCount()) { showUnsaved(true); flush(); }

  form.addEventListener("change", function (event) {
    var fs = event.target.closest("fieldset[data-qid]");
    if (fs) { queue(fs); }
  });
  var typing = {};
  form.addEventListener("input", function (event) {
    var fs = event.target.closest("fieldset[data-qid]");
    if (!fs || event.target.tagName === "SELECT") { return; }
    window.clearTimeout(typing[fs.dataset.qid]);
    typing[fs.dataset.qid] = window.setTimeout(function () { queue(fs); }, 800);
  });
  // At least every 30 s: catch anything typed but not yet queued, and resend the queue.
  window.setInterval(function () { fieldsets().forEach(queue); flush(); }, 30000);
  window.addEventListener("online", function () { retryDelay = 2000; flush(); });
  window.addEventListener("beforeunload", function (event) {
    if (pendingCount() && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  function submitNow(confirmFirst) {
    if (submitting) { return; }
    if (confirmFirst && !window.confirm(msg.confirm)) { return; }
    submitting = true;
    fieldsets().forEach(queue);
    flush().then(function (done) {
      if (done || closed) {
        try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
        form.submit();  // carries every answer too: the server saves any that differ
        return;
      }
      // Offline: keep everything here and submit as soon as the server answers again.
      submitting = false;
      showStatus(msg.offlineSubmit);
      window.setTimeout(function () { submitNow(false); }, 5000);
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitNow(true);
  });

  // ------------------------------------------------------------ the clock (the server's)
  if (timer && root.dataset.secondsLeft !== "") {
    var endsAt = Date.now() + 1000 * parseInt(root.dataset.secondsLeft, 10);
    var tick = function () {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      var m = Math.floor(left / 60); var s = left % 60;
      timer.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      timer.classList.toggle("text-bg-danger", left <= 60);
      timer.classList.toggle("text-bg-dark", left > 60);
      if (left === 0) {
        window.clearInterval(clock);
        showStatus(msg.timeup);
        submitNow(false);
      }
    };
    var clock = window.setInterval(tick, 1000);
    tick();
  }
})();
