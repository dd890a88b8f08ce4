/* Live chat page (app/chat): plain JavaScript over the vendored Socket.IO client.
 * Messages carry a client id so a resend after a dropped connection is not duplicated;
 * on reconnect the open room is re-joined with the last seen id and the server sends
 * what was missed, in order. body_html is sanitised on the server when stored. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || typeof io === "undefined") { return; }

  var me = Number(root.dataset.me);
  var staff = root.dataset.staff === "1";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var apiBase = root.dataset.api; // /chat/api/channels
  var el = function (id) { return document.getElementById(id); };
  var state = { channels: {}, current: null, lastSeen: {}, oldest: {}, seen: {}, pending: {}, typingTimer: null, lastTyping: 0, loggedOut: false };

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function api(method, url, body) {
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || "Request failed."); }
        return data;
      });
    });
  }

  function showError(message) { el("chat-error").textContent = message || ""; }
  function setStatus(text) { el("chat-status").textContent = text; }

  // --- sidebar ---------------------------------------------------------------------
  function renderChannels(list) {
    var channels = el("chat-channels"), dms = el("chat-dms");
    channels.textContent = ""; dms.textContent = "";
    state.channels = {};
    list.forEach(function (channel) {
      state.channels[channel.id] = channel;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "?channel=" + channel.id;
      a.dataset.channel = channel.id;
      a.id = "channel-link-" + channel.id;
      var name = document.createElement("span");
      name.textContent = (channel.kind === "dm" ? "" : "# ") + channel.name;
      a.appendChild(name);
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.id = "channel-unread-" + channel.id;
      badge.hidden = !channel.unread;
      badge.textContent = channel.unread || "";
      a.appendChild(badge);
      if (state.current === channel.id) { a.setAttribute("aria-current", "true"); }
      a.addEventListener("click", function (event) { event.preventDefault(); openChannel(channel.id); });
      li.appendChild(a);
      (channel.kind === "dm" ? dms : channels).appendChild(li);
    });
  }

  function loadChannels() {
    return api("GET", apiBase).then(function (data) { renderChannels(data.channels); return data.channels; });
  }

  function setUnread(channelId, count) {
    var badge = el("channel-unread-" + channelId);
    if (!badge) { return; }
    badge.textContent = count || "";
    badge.hidden = !count;
  }

  // --- messages ----------------------------------------------------------------------
  function messageNode(message) {
    var li = document.createElement("li");
    li.id = "message-" + message.id;
    li.dataset.id = message.id;
    var meta = document.createElement("div");
    meta.className = "chat-meta";
    var who = document.createElement("strong");
    who.textContent = message.author ? message.author.display_name : "Announcement";
    meta.appendChild(who);
    var when = document.createElement("time");
    when.dateTime = message.created_at;
    when.textContent = " " + new Date(message.created_at).toLocaleTimeString();
    meta.appendChild(when);
    if (message.edited_at && !message.deleted) { meta.appendChild(document.createTextNode(" (edited)")); }
    var mine = message.author && message.author.id === me;
    if (!message.deleted && (mine || staff)) {
      var actions = document.createElement("span");
      actions.className = "chat-actions";
      if (mine) { actions.appendChild(actionButton("Edit", function () { editMessage(message); })); }
      actions.appendChild(actionButton("Delete", function () { deleteMessage(message); }));
      meta.appendChild(actions);
    }
    li.appendChild(meta);
    var body = document.createElement("div");
    if (message.deleted) {
      body.className = "chat-deleted";
      body.textContent = "Message deleted";
    } else {
      body.className = "chat-body";
      body.innerHTML = message.body_html; // sanitised by the server's render_markdown
    }
    li.appendChild(body);
    return li;
  }

  function actionButton(label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary outline small";
    button.textContent = label;
    button.addEventListener("click", onClick);
    return button;
  }

  function addMessage(message, prepend) {
    var list = el("chat-messages");
    var existing = el("message-" + message.id);
    if (existing) { existing.replaceWith(messageNode(message)); return false; }
    var node = messageNode(message);
    if (prepend) {
      list.insertBefore(node, list.firstChild);
    } else {
      var log = el("chat-log");
      var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      // Keep id order even if a late message arrives.
      var after = null;
      for (var child = list.lastElementChild; child; child = child.previousElementSibling) {
        if (Number(child.dataset.id) < message.id) { after = child; break; }
      }
      if (after) { after.after(node); } else { list.insertBefore(node, list.firstChild); }
      if (atBottom || (message.author && message.author.id === me)) { log.scrollTop = log.scrollHeight; }
    }
    var cid = message.channel_id;
    state.lastSeen[cid] = Math.max(state.lastSeen[cid] || 0, message.id);
    if (!state.oldest[cid] || message.id < state.oldest[cid]) { state.oldest[cid] = message.id; }
    return true;
  }

  function markRead(channelId) {
    var last = state.lastSeen[channelId];
    if (!last || !socket.connected) { return; }
    socket.emit("read", { channel_id: channelId, message_id: last }, function (answer) {
      if (answer && !answer.error) { setUnread(channelId, answer.unread); }
    });
  }

  function openChannel(channelId) {
    var channel = state.channels[channelId];
    if (!channel) { return; }
    state.current = channelId;
    history.replaceState(null, "", "?channel=" + channelId);
    document.querySelectorAll(".chat-channels a").forEach(function (a) {
      if (Number(a.dataset.channel) === channelId) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    el("chat-room").hidden = false;
    el("chat-room-name").textContent = (channel.kind === "dm" ? "" : "# ") + channel.name;
    el("chat-room-topic").textContent = channel.topic || "";
    el("chat-messages").textContent = "";
    el("chat-online").textContent = "";
    el("chat-typing").textContent = "";
    showError("");
    state.oldest[channelId] = null;
    state.lastSeen[channelId] = 0;
    loadMembers(channel);
    api("GET", apiBase + "/" + channelId + "/messages").then(function (data) {
      if (state.current !== channelId) { return; }
      data.messages.forEach(function (m) { addMessage(m, false); });
      el("chat-older").hidden = !data.has_more;
      el("chat-log").scrollTop = el("chat-log").scrollHeight;
      joinCurrent();
    }).catch(function (error) { showError(error.message); });
  }

  function joinCurrent() {
    var channelId = state.current;
    if (!channelId || !socket.connected) { return; }
    socket.emit("join", { channel_id: channelId, last_seen_id: state.lastSeen[channelId] || 0 }, function (answer) {
      if (!answer || answer.error) { showError(answer ? answer.error : "Could not open the channel."); return; }
      if (state.current !== channelId) { return; }
      answer.missed.forEach(function (m) { addMessage(m, false); });
      showOnline(answer.online);
      markRead(channelId);
      resendPending();
    });
  }

  function showOnline(ids) {
    var count = ids.length;
    el("chat-online").textContent = count + (count === 1 ? " member online" : " members online");
    el("chat-online").dataset.online = ids.join(",");
  }

  function loadOlder() {
    var channelId = state.current;
    var before = state.oldest[channelId];
    if (!channelId || !before) { return; }
    var log = el("chat-log");
    var height = log.scrollHeight;
    api("GET", apiBase + "/" + channelId + "/messages?before=" + before).then(function (data) {
      if (state.current !== channelId) { return; }
      data.messages.slice().reverse().forEach(function (m) { addMessage(m, true); });
      el("chat-older").hidden = !data.has_more;
      log.scrollTop = log.scrollHeight - height;
    }).catch(function (error) { showError(error.message); });
  }

  function loadMembers(channel) {
    var panel = el("chat-manage");
    api("GET", apiBase + "/" + channel.id).then(function (data) {
      var list = el("chat-members");
      list.textContent = "";
      data.members.forEach(function (member) {
        var li = document.createElement("li");
        li.textContent = member.display_name + " (@" + member.username + ") ";
        if (data.can_manage && member.id !== me) {
          li.appendChild(actionButton("Remove", function () {
            api("POST", apiBase + "/" + channel.id + "/members/" + member.id + "/remove", {})
              .then(function () { loadMembers(channel); }).catch(function (error) { showError(error.message); });
          }));
        }
        list.appendChild(li);
      });
      el("chat-invite-form").hidden = !data.can_manage;
      panel.hidden = false;
    }).catch(function () { panel.hidden = true; });
  }

  // --- sending -----------------------------------------------------------------------
  function sendMessage(channelId, body, clientId) {
    state.pending[clientId] = { channel_id: channelId, body: body, client_id: clientId };
    if (!socket.connected) { return; }
    socket.emit("send", state.pending[clientId], function (answer) {
      if (!answer) { return; }
      if (answer.error) { showError(answer.error); delete state.pending[clientId]; return; }
      delete state.pending[clientId];
      if (answer.message.channel_id === state.current) { addMessage(answer.message, false); }
    });
  }

  function resendPending() {
    Object.keys(state.pending).forEach(function (clientId) {
      var item = state.pending[clientId];
      sendMessage(item.channel_id, item.body, clientId);
    });
  }

  function editMessage(message) {
    var body = window.prompt("Edit your message", message.body);
    if (body === null || body.trim() === "" || body === message.body) { return; }
    socket.emit("edit", { message_id: message.id, body: body }, function (answer) {
      if (answer && answer.error) { showError(answer.error); }
    });
  }

  function deleteMessage(message) {
    if (!window.confirm("Delete this message?")) { return; }
    socket.emit("delete", { message_id: message.id }, function (answer) {
      if (answer && answer.error) { showError(answer.error); }
    });
  }

  // --- socket ----------------------------------------------------------------------------
  var socket = io(root.dataset.namespace, { withCredentials: true });

  socket.on("connect", function () {
    state.loggedOut = false;
    setStatus("Connected");
    showError("");
    joinCurrent();
  });
  socket.on("connect_error", function () {
    setStatus(state.loggedOut ? "You are signed out." : "Cannot connect; retrying…");
  });
  socket.on("disconnect", function (reason) {
    if (reason !== "io server disconnect") { setStatus("Disconnected; reconnecting…"); return; }
    setStatus("Disconnected.");
    // Signed out somewhere: try once; only a session that is still valid comes back.
    if (state.loggedOut === true) { state.loggedOut = "retried"; socket.connect(); }
  });
  socket.on("force_logout", function () { state.loggedOut = true; setStatus("You are signed out."); });
  socket.on("error", function (data) { if (data && data.error) { showError(data.error); } });
  // A room's new messages: one at a time, or (when the room is busy) several stored
  // together in one "new_messages" event, oldest first.
  function receiveMessages(channelId, messages) {
    if (channelId === state.current) {
      messages.forEach(function (message) { addMessage(message, false); });
      if (document.visibilityState === "visible") { markRead(channelId); }
      return;
    }
    var unseen = messages.filter(function (message) { return !message.author || message.author.id !== me; });
    var badge = el("channel-unread-" + channelId);
    if (badge && unseen.length) { setUnread(channelId, (Number(badge.textContent) || 0) + unseen.length); }
  }
  socket.on("new_message", function (message) { receiveMessages(message.channel_id, [message]); });
  socket.on("new_messages", function (batch) { receiveMessages(batch.channel_id, batch.messages); });
  socket.on("message_updated", function (message) {
    if (message.channel_id === state.current && el("message-" + message.id)) { addMessage(message, false); }
  });
  socket.on("typing", function (data) {
    if (data.channel_id !== state.current) { return; }
    el("chat-typing").textContent = data.user.display_name + " is typing…";
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(function () { el("chat-typing").textContent = ""; }, 3000);
  });
  socket.on("presence", function (data) {
    if (data.channel_id !== state.current) { return; }
    socket.emit("presence", { channel_id: data.channel_id }, function (answer) {
      if (answer && !answer.error && state.current === answer.channel_id) { showOnline(answer.online); }
    });
  });
  socket.on("channel_added", function () { loadChannels(); });
  socket.on("channel_removed", function (data) {
    loadChannels().then(function () {
      if (state.current === data.channel_id) {
        state.current = null;
        el("chat-room").hidden = true;
        setStatus("You were removed from that channel.");
      }
    });
  });

  // --- forms -----------------------------------------------------------------------------
  el("chat-send-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = el("chat-input");
    var body = input.value.trim();
    if (!body || !state.current) { return; }
    showError("");
    sendMessage(state.current, body, newClientId());
    input.value = "";
  });
  el("chat-input").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      el("chat-send-form").requestSubmit();
      return;
    }
    var now = Date.now();
    if (state.current && socket.connected && now - state.lastTyping > 2000) {
      state.lastTyping = now;
      socket.emit("typing", { channel_id: state.current });
    }
  });
  el("chat-load-older").addEventListener("click", loadOlder);
  el("chat-log").addEventListener("scroll", function () {
    if (el("chat-log").scrollTop === 0 && !el("chat-older").hidden) { loadOlder(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.current) { markRead(state.current); }
  });

  // The "New channel" / "New direct message" forms fold away once they have done their job.
  function closeDrawer(form) {
    var drawer = form.closest("details");
    if (drawer) { drawer.open = false; }
  }

  function formJson(form) {
    var data = {};
    new FormData(form).forEach(function (value, key) { if (key !== "csrf_token") { data[key] = value; } });
    return data;
  }

  el("new-channel-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    api("POST", form.action, formJson(form)).then(function (channel) {
      form.reset();
      closeDrawer(form);
      return loadChannels().then(function () { openChannel(channel.id); });
    }).catch(function (error) { showError(error.message); });
  });
  el("new-dm-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    api("POST", form.action, formJson(form)).then(function (channel) {
      form.reset();
      closeDrawer(form);
      return loadChannels().then(function () { openChannel(channel.id); });
    }).catch(function (error) { showError(error.message); });
  });
  el("chat-invite-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var channel = state.channels[state.current];
    if (!channel) { return; }
    api("POST", apiBase + "/" + channel.id + "/members", formJson(event.target)).then(function () {
      event.target.reset();
      loadMembers(channel);
    }).catch(function (error) { showError(error.message); });
  });

  loadChannels().then(function (list) {
    var wanted = Number(new URLSearchParams(window.location.search).get("channel"));
    var first = list.filter(function (c) { return c.member; })[0] || list[0];
    if (wanted && state.channels[wanted]) { openChannel(wanted); } else if (first) { openChannel(first.id); }
  }).catch(function (error) { showError(error.message); });
})();
