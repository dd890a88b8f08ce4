/* The post editor (forms marked data-editor, see templates/forums/_editor.html):
 * a Write/Preview toggle whose preview is the server's sanitized rendering, drafts
 * saved on the server as you type and restored when the editor opens, and an
 * accessible combobox for @mentions (body) and tags (a Q&A tags field).
 * Progressive enhancement only: every form posts without this file. No inline script
 * (CSP); the only HTML ever inserted is the preview the server sanitized. */
(function () {
  "use strict";

  var SAVE_DELAY = 2000;
  var SUGGEST_DELAY = 150;
  var counter = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") { options.headers["X-CSRFToken"] = csrfToken(); }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "Request failed.");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  // --- Write / Preview -------------------------------------------------------------
  function setUpPreview(form, box, status) {
    var id = box.id || "editor-body-" + (++counter);
    box.id = id;
    var bar = make("div", { "class": "editor-bar", role: "group", "aria-label": "Editor mode" });
    var write = make("button", { type: "button", "class": "editor-tab", "aria-pressed": "true", "data-mode": "write" }, "Write");
    var show = make("button", { type: "button", "class": "editor-tab", "aria-pressed": "false", "data-mode": "preview", "aria-controls": id + "-preview" }, "Preview");
    bar.appendChild(write);
    bar.appendChild(show);
    var pane = make("div", { id: id + "-preview", "class": "editor-preview post-body", "aria-live": "polite", tabindex: "-1" });
    pane.hidden = true;
    box.parentNode.insertBefore(bar, box);
    box.parentNode.insertBefore(pane, box.nextSibling);

    function toWrite() {
      write.setAttribute("aria-pressed", "true");
      show.setAttribute("aria-pressed", "false");
      pane.hidden = true;
      box.hidden = false;
      box.focus();
    }
    function toPreview() {
      write.setAttribute("aria-pressed", "false");
      show.setAttribute("aria-pressed", "true");
      pane.textContent = "Rendering preview…";
      pane.hidden = false;
      box.hidden = true;
      request("POST", form.dataset.previewUrl, { body: box.value }).then(function (data) {
        // The server's output of the one sanitizer (app/core/sanitize.py), as stored posts.
        pane.innerHTML = data.html || "<p><em>Nothing to preview yet.</em></p>";
        pane.focus();
      }).catch(function (error) {
        pane.textContent = error.message;
      });
    }
    write.addEventListener("click", toWrite);
    show.addEventListener("click", toPreview);
    form.addEventListener("submit", function () { box.hidden = false; });
    status.textContent = "";
  }

  // --- drafts ------------------------------------------------------------------------
  function setUpDrafts(form, box, status) {
    var url = form.dataset.draftUrl;
    if (!url) { return; }
    var title = form.querySelector('input[name="title"]');
    var timer = null;
    var draftId = null;
    var lastSaved = null;
    var submitted = false;
    var discard = make("button", { type: "button", "class": "secondary outline small editor-discard" }, "Discard draft");
    discard.hidden = true;
    status.parentNode.insertBefore(discard, status.nextSibling);

    function current() { return { body: box.value, title: title ? title.value : "" }; }
    function setDraft(draft) {
      draftId = draft ? draft.id : null;
      discard.hidden = !draft;
    }
    function save() {
      timer = null;
      if (submitted) { return; }
      var data = current();
      var key = JSON.stringify(data);
      if (key === lastSaved) { return; }
      lastSaved = key;
      status.textContent = "Saving draft…";
      request("PUT", url, data).then(function (answer) {
        setDraft(answer.draft);
        status.textContent = answer.draft ? "Draft saved." : "";
      }).catch(function (error) {
        lastSaved = null;
        status.textContent = "Draft not saved: " + error.message;
      });
    }
    function schedule() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, SAVE_DELAY);
    }
    box.addEventListener("input", schedule);
    if (title) { title.addEventListener("input", schedule); }
    form.addEventListener("submit", function () {
      submitted = true;  // the server deletes the draft when the post is stored
      if (timer) { clearTimeout(timer); }
    });
    discard.addEventListener("click", function () {
      if (timer) { clearTimeout(timer); timer = null; }
      var done = function () {
        box.value = "";
        if (title) { title.value = ""; }
        lastSaved = JSON.stringify(current());
        setDraft(null);
        status.textContent = "Draft discarded.";
        box.focus();
      };
      if (draftId === null) { done(); return; }
      request("DELETE", form.dataset.draftItemUrl.replace(/0$/, String(draftId))).then(done).catch(function (error) {
        status.textContent = error.message;
      });
    });
    request("GET", url).then(function (answer) {
      var draft = answer.draft;
      if (!draft) { return; }
      setDraft(draft);
      // Never overwrite what the page already holds (a quote, a refused submission).
      if (!box.value.trim()) { box.value = draft.body; }
      if (title && !title.value.trim()) { title.value = draft.title; }
      lastSaved = JSON.stringify(current());
      status.textContent = "Draft restored.";
    }).catch(function (error) { status.textContent = "Drafts unavailable: " + error.message; });
  }

  // --- autocomplete combobox ---------------------------------------------------------
  // One listbox per field. The field keeps focus; arrow keys move the active option
  // (aria-activedescendant), Enter or Tab picks it, Escape closes the list.
  function Combobox(field, find) {
    var self = this;
    var id = (field.id || "editor-field-" + (++counter)) + "-suggestions";
    this.field = field;
    this.find = find; // (field) -> {query, start, end, source} or null
    this.list = make("ul", { id: id, role: "listbox", "class": "editor-suggestions", "aria-label": "Suggestions" });
    this.list.hidden = true;
    this.items = [];
    this.active = -1;
    this.token = null;
    this.timer = null;
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", id);
    field.setAttribute("aria-haspopup", "listbox");
    // aria-expanded belongs to a combobox; a textarea may not take that role (axe:
    // aria-allowed-attr), so there the listbox's own visibility tells the state.
    if (field.tagName === "INPUT") { field.setAttribute("role", "combobox"); field.setAttribute("aria-expanded", "false"); }
    field.parentNode.insertBefore(this.list, field.nextSibling);
    field.addEventListener("input", function () { self.lookUp(); });
    field.addEventListener("keydown", function (event) { self.onKey(event); });
    field.addEventListener("blur", function () { setTimeout(function () { self.close(); }, 150); });
    this.list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.list.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) { self.pick(Number(option.dataset.index)); }
    });
  }

  Combobox.prototype.lookUp = function () {
    var self = this;
    if (this.timer) { clearTimeout(this.timer); }
    var token = this.find(this.field);
    if (!token) { this.close(); return; }
    this.timer = setTimeout(function () {
      token.source(token.query).then(function (items) {
        var now = self.find(self.field);
        if (!now || now.query !== token.query) { return; } // typed on meanwhile
        self.token = now;
        self.show(items);
      }).catch(function () { self.close(); });
    }, SUGGEST_DELAY);
  };

  Combobox.prototype.show = function (items) {
    var self = this;
    this.items = items;
    this.list.textContent = "";
    if (!items.length) { this.close(); return; }
    items.forEach(function (item, index) {
      var option = make("li", { id: self.list.id + "-" + index, role: "option", "aria-selected": "false", "data-index": String(index) });
      option.appendChild(make("strong", {}, item.label));
      if (item.detail) { option.appendChild(make("span", { "class": "muted" }, " " + item.detail)); }
      self.list.appendChild(option);
    });
    this.list.hidden = false;
    if (this.field.getAttribute("role") === "combobox") { this.field.setAttribute("aria-expanded", "true"); }
    this.move(0);
  };

  Combobox.prototype.move = function (index) {
    var options = this.list.querySelectorAll('[role="option"]');
    if (!options.length) { return; }
    this.active = (index + options.length) % options.length;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
    }
    this.field.setAttribute("aria-activedescendant", options[this.active].id);
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    if (this.field.getAttribute("role") === "combobox") { this.field.setAttribute("aria-expanded", "false"); }
    this.list.textContent = "";
    this.items = [];
    this.active = -1;
    this.field.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.isOpen = function () { return !this.list.hidden && this.items.length > 0; };

  Combobox.prototype.pick = function (index) {
    var item = this.items[index];
    var token = this.token;
    if (!item || !token) { return; }
    var value = this.field.value;
    var insert = item.insert + " ";
    this.field.value = value.slice(0, token.start) + insert + value.slice(token.end);
    var caret = token.start + insert.length;
    this.field.setSelectionRange(caret, caret);
    this.close();
    this.field.dispatchEvent(new Event("input", { bubbles: true })); // drafts see it too
    this.close();
  };

  Combobox.prototype.onKey = function (event) {
    if (!this.isOpen()) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); this.move(this.active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); this.move(this.active - 1); }
    else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); this.pick(this.active); }
    else if (event.key === "Escape") { event.preventDefault(); this.close(); }
  };

  function tokenBeforeCaret(field, pattern) {
    var caret = field.selectionStart;
    if (caret === null || caret !== field.selectionEnd) { return null; }
    var match = pattern.exec(field.value.slice(0, caret));
    if (!match) { return null; }
    var query = match[2];
    return { query: query, start: caret - query.length - match[1].length, end: caret };
  }

  function memberSource(url) {
    return function (query) {
      return request("GET", url + "?q=" + encodeURIComponent(query)).then(function (data) {
        return (data.members || []).map(function (m) {
          return { label: "@" + m.username, detail: m.display_name, insert: "@" + m.username };
        });
      });
    };
  }

  function tagSource(url, prefix) {
    return function (query) {
      return request("GET", url + "?q=" + encodeURIComponent(query)).then(function (data) {
        return (data.tags || []).map(function (t) {
          return { label: prefix + t.name, detail: "(" + t.count + ")", insert: prefix + t.name };
        });
      });
    };
  }

  function setUpAutocomplete(form, box) {
    var members = memberSource(form.dataset.mentionUrl);
    new Combobox(box, function (field) {
      var token = tokenBeforeCaret(field, /(?:^|[\s(])(@)([A-Za-z0-9_][A-Za-z0-9_.-]{0,38})$/);
      if (token) { token.source = members; }
      return token;
    });
    var tagField = form.querySelector('input[name="tags"]');
    if (tagField && form.dataset.tagUrl) {
      var tags = tagSource(form.dataset.tagUrl, "");
      new Combobox(tagField, function (field) {
        // The tag being typed: after the last space or comma, an optional "#".
        var token = tokenBeforeCaret(field, /(?:^|[\s,])(#?)([a-z0-9][a-z0-9.+#-]{0,29})$/i);
        if (token) { token.source = tags; }
        return token;
      });
    }
  }

  function setUp(form) {
    var box = form.querySelector('textarea[name="body"]');
    if (!box) { return; }
    var status = make("p", { "class": "editor-status muted", role: "status", "aria-live": "polite" });
    var button = form.querySelector('button[type="submit"]');
    if (button && button.parentNode) { button.parentNode.insertBefore(status, button); }
    else { form.appendChild(status); }
    setUpPreview(form, box, status);
    setUpDrafts(form, box, status);
    setUpAutocomplete(form, box);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-editor]"), setUp);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
