// Attachments in the post editor: drop files on a textarea marked data-uploads, paste
// an image (a screenshot) into it, or use its "Attach a file" button (the keyboard
// path). Each file is sent to POST /uploads (CSRF token from the page's meta tag); the
// Markdown the server answers replaces a placeholder at the cursor. The server decides
// what is acceptable and says why not; this file only shows its message.
(function () {
  "use strict";

  var ENDPOINT = "/uploads";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var needsBreak = before && !/\s$/.test(before) ? "\n" : "";
    textarea.setRangeText(needsBreak + text + "\n", start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function replacePlaceholder(textarea, placeholder, text) {
    var at = textarea.value.indexOf(placeholder);
    if (at === -1) {
      insertAtCursor(textarea, text);
      return;
    }
    textarea.setRangeText(text, at, at + placeholder.length, "preserve");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function say(status, message, isError) {
    status.textContent = message;
    status.classList.toggle("upload-error", Boolean(isError));
  }

  function upload(textarea, status, file) {
    var name = file.name || "pasted image";
    var placeholder = "[Uploading " + name.replace(/[\[\]]/g, "") + "…]";
    insertAtCursor(textarea, placeholder);
    say(status, "Uploading " + name + "…", false);
    var body = new FormData();
    body.append("file", file, file.name || "pasted.png");
    return fetch(ENDPOINT, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The upload failed (" + response.status + ")." };
        }).then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || "The upload failed (" + response.status + ").");
          }
          return data;
        });
      })
      .then(function (data) {
        replacePlaceholder(textarea, placeholder, data.markdown);
        say(status, name + " attached.", false);
      })
      .catch(function (error) {
        replacePlaceholder(textarea, placeholder, "");
        say(status, name + ": " + error.message, true);
      });
  }

  function uploadAll(textarea, status, files) {
    Array.prototype.reduce.call(files, function (previous, file) {
      return previous.then(function () {
        return upload(textarea, status, file);
      });
    }, Promise.resolve());
  }

  function setUp(textarea) {
    if (textarea.dataset.uploadsReady) {
      return;
    }
    textarea.dataset.uploadsReady = "1";

    var bar = document.createElement("div");
    bar.className = "upload-bar";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary outline";
    button.textContent = "Attach a file";
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.hidden = true;
    input.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.csv,.zip,.docx,.xlsx,.pptx";
    var hint = document.createElement("small");
    hint.className = "muted";
    hint.textContent = "or drop or paste files into the text";
    var status = document.createElement("span");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    bar.append(button, input, hint, status);
    textarea.insertAdjacentElement("afterend", bar);

    button.addEventListener("click", function () {
      input.click();
    });
    input.addEventListener("change", function () {
      if (input.files.length) {
        uploadAll(textarea, status, input.files);
      }
      input.value = "";
      textarea.focus();
    });
    textarea.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
        event.preventDefault();
        textarea.classList.add("upload-dragover");
      }
    });
    textarea.addEventListener("dragleave", function () {
      textarea.classList.remove("upload-dragover");
    });
    textarea.addEventListener("drop", function (event) {
      textarea.classList.remove("upload-dragover");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        uploadAll(textarea, status, event.dataTransfer.files);
      }
    });
    textarea.addEventListener("paste", function (event) {
      var files = event.clipboardData ? event.clipboardData.files : null;
      if (files && files.length) {
        event.preventDefault();
        uploadAll(textarea, status, files);
      }
    });
  }

  function init() {
    document.querySelectorAll("textarea[data-uploads]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
