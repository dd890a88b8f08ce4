// Q&A: progressive enhancement only; every form works without this file.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showError(near, message) {
    var note = document.createElement("p");
    note.className = "flash flash-error qa-inline-error";
    note.setAttribute("role", "alert");
    note.textContent = message || "That did not work; please reload and try again.";
    var old = near.querySelector(".qa-inline-error");
    if (old) old.remove();
    near.appendChild(note);
  }

  function postJSON(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "Request failed");
        return data;
      });
    });
  }

  // Votes: update the score and both buttons in place.
  function updateVotes(column, data) {
    var score = column.querySelector(".qa-score");
    if (score) score.textContent = String(data.score);
    column.querySelectorAll(".qa-vote-form").forEach(function (form) {
      var button = form.querySelector("button");
      var input = form.querySelector('input[name="value"]');
      var up = button.classList.contains("qa-up");
      var pressed = (up && data.vote === 1) || (!up && data.vote === -1);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      input.value = pressed ? "none" : up ? "up" : "down";
      button.setAttribute("aria-label", (pressed ? "Remove " : "") + (up ? (pressed ? "upvote" : "Upvote") : (pressed ? "downvote" : "Downvote")));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !window.fetch) return;
    if (form.classList.contains("qa-vote-form")) {
      event.preventDefault();
      var column = form.closest(".qa-vote-column");
      postJSON(form).then(function (data) { updateVotes(column, data); })
        .catch(function (error) { showError(column, error.message); });
    } else if (form.classList.contains("qa-accept-form")) {
      event.preventDefault();
      postJSON(form).then(function () { window.location.reload(); })
        .catch(function (error) { showError(form.parentNode, error.message); });
    }
  });

  // Similar questions while typing a title (debounced).
  function similar() {
    var box = document.getElementById("qa-similar");
    var title = document.querySelector(".qa-ask-form input[name='title']");
    if (!box || !title || !window.fetch) return;
    var list = box.querySelector("ul");
    var timer = null;
    var last = "";
    title.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = title.value.trim();
        if (text === last) return;
        last = text;
        if (text.length < 4) { box.hidden = true; return; }
        fetch(box.getAttribute("data-similar-url") + "?title=" + encodeURIComponent(text), {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        }).then(function (r) { return r.json(); }).then(function (data) {
          list.textContent = "";
          (data.questions || []).forEach(function (q) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = q.url;
            link.textContent = q.title;
            link.target = "_blank";
            link.rel = "noopener";
            item.appendChild(link);
            var count = document.createElement("small");
            count.className = "muted";
            count.textContent = " · " + q.answers + (q.answers === 1 ? " answer" : " answers");
            item.appendChild(count);
            list.appendChild(item);
          });
          box.hidden = !(data.questions && data.questions.length);
        }).catch(function () { box.hidden = true; });
      }, 300);
    });
  }
  document.addEventListener("DOMContentLoaded", similar);
})();
