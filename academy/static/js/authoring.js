// Authoring: live Markdown preview, Ctrl/Cmd+S to save, image upload and snippet insertion.
// The preview HTML comes from the server's render_markdown (the same sanitiser trainees get).
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = tokenMeta ? tokenMeta.getAttribute("content") : "";

  // Copy buttons: <button data-copy="#input-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var input = document.querySelector(button.dataset.copy);
    if (!input) { return; }
    input.select();
    var done = function () {
      if (button.dataset.msgCopied) { button.textContent = button.dataset.msgCopied; }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else {
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  var editor = document.getElementById("lesson-editor");
  if (!editor) { return; }
  var source = document.getElementById("body_md");
  var preview = document.getElementById("lesson-preview");
  var previewState = document.getElementById("preview-state");
  var saveState = document.getElementById("save-state");
  var timer = null;
  var sequence = 0;
  var dirty = false;

  function setText(el, text) { if (el) { el.textContent = text || ""; } }

  function refreshPreview() {
    var mine = ++sequence;
    preview.dataset.state = "stale";
    setText(previewState, editor.dataset.msgUpdating);
    fetch(editor.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken
      },
      body: JSON.stringify({ markdown: source.value, course: editor.dataset.course })
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("preview " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (mine !== sequence) { return; } // a newer request is on its way
        preview.innerHTML = data.html;
        preview.dataset.state = "fresh";
        preview.dataset.version = String(mine);
        setText(previewState, editor.dataset.msgUpdated);
      })
      .catch(function () {
        if (mine !== sequence) { return; }
        setText(previewState, editor.dataset.msgUnavailable);
      });
  }

  function schedulePreview() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  }

  function markDirty() {
    dirty = true;
    setText(saveState, editor.dataset.msgUnsaved);
  }

  source.addEventListener("input", function () { markDirty(); schedulePreview(); });
  var title = document.getElementById("title");
  if (title) { title.addEventListener("input", markDirty); }

  editor.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  // Ctrl+S / Cmd+S saves the lesson instead of saving the web page.
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      dirty = false;
      if (editor.requestSubmit) { editor.requestSubmit(); } else { editor.submit(); }
    }
  });

  // Insert Markdown at the cursor: <button data-insert-snippet="![..](images/x.png)">.
  function insertSnippet(snippet) {
    var start = source.selectionStart, end = source.selectionEnd;
    var before = source.value.slice(0, start), after = source.value.slice(end);
    var text = (before && !/\n$/.test(before) ? "\n" : "") + snippet + "\n";
    source.value = before + text + after;
    source.focus();
    source.selectionStart = source.selectionEnd = before.length + text.length;
    source.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert-snippet]") : null;
    if (button) { insertSnippet(button.dataset.insertSnippet); }
  });

  // Upload an image without leaving the page (unsaved text stays), then insert its Markdown.
  var upload = document.getElementById("image-upload");
  var uploadError = document.getElementById("upload-error");
  var imageList = document.getElementById("image-list");

  function addToList(image) {
    var item = document.createElement("li");
    item.className = "list-group-item d-flex gap-2 align-items-center";
    var thumb = document.createElement("img");
    thumb.src = image.url;
    thumb.alt = "";
    thumb.className = "authoring-thumb";
    var code = document.createElement("code");
    code.className = "small text-break flex-grow-1";
    code.textContent = image.snippet;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary";
    button.dataset.insertSnippet = image.snippet;
    button.textContent = upload.dataset.msgInsert;
    item.append(thumb, code, button);
    imageList.prepend(item);
  }

  if (upload) {
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      setText(uploadError, "");
      var button = upload.querySelector("[type=submit]");
      button.disabled = true;
      fetch(upload.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrfToken },
        body: new FormData(upload)
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; },
            function () { return { ok: false, data: {} }; });
        })
        .then(function (result) {
          if (!result.ok) {
            var message = result.data.error && result.data.error.message;
            throw new Error(message || upload.dataset.msgFailed);
          }
          addToList(result.data);
          insertSnippet(result.data.snippet);
          upload.reset();
        })
        .catch(function (error) {
          setText(uploadError, error.message || upload.dataset.msgFailed);
        })
        .then(function () { button.disabled = false; });
    });
  }
})();
