/* Live pages for signed-in members (app/core/live.py): the header's notification
 * count, and on a topic page an "N new replies" button as replies arrive.
 * Uses the Socket.IO client the chat page loads (vendored, same origin) and the same
 * connection: the client multiplexes the "/live" namespace over chat's transport.
 * Progressive enhancement only: without it the pages simply need a reload. */
(function () {
  "use strict";
  var script = document.currentScript;

  function withSocketIo(ready) {
    if (typeof window.io === "function") { ready(); return; }
    var existing = document.querySelector('script[src*="vendor/socket.io/"]');
    if (existing) { existing.addEventListener("load", ready); return; }
    var loader = document.createElement("script");
    loader.src = script.src.replace(/js\/live\.js(\?.*)?$/, "vendor/socket.io/socket.io.min.js");
    loader.addEventListener("load", ready);
    document.head.appendChild(loader);
  }

  // --- the header's notification count ------------------------------------------------
  function showUnread(count) {
    var link = document.getElementById("notifications-link");
    if (!link) { return; }
    var badge = document.getElementById("notification-count");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        badge.id = "notification-count";
        link.appendChild(document.createTextNode(" "));
        link.appendChild(badge);
      }
      badge.textContent = String(count);
    } else if (badge) {
      badge.remove();
    }
    link.setAttribute("aria-label", "Notifications, " + count + " unread");
  }

  // --- a topic's new replies ------------------------------------------------------------
  function topicWatcher(root) {
    var topicId = Number(root.dataset.topicId);
    var last = Number(root.dataset.lastNumber);
    var button = root.querySelector("button");
    var status = root.querySelector('[role="status"]');
    var fresh = {};
    var count = 0;
    var firstUrl = null;
    var firstNumber = Infinity;

    function samePage(url) {
      var here = new URL(window.location.href);
      var there = new URL(url, here);
      var page = function (u) { return u.searchParams.get("page") || "1"; };
      return here.pathname === there.pathname && page(here) === page(there);
    }

    function reset() {
      fresh = {};
      count = 0;
      firstUrl = null;
      firstNumber = Infinity;
      button.hidden = true;
      status.textContent = "";
    }

    // Reveal the new replies in place when they belong on this page; otherwise go to
    // the first one. Either way through the ordinary, permission-checked post link, so
    // the posts come from the same server rendering as the page itself.
    button.addEventListener("click", function () {
      if (!firstUrl) { return; }
      var target = firstUrl;
      fetch(target, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
        if (!response.ok || !samePage(response.url)) { window.location.assign(target); return null; }
        return response.text();
      }).then(function (html) {
        if (html === null || html === undefined) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var list = document.querySelector("section.posts");
        var shown = null;
        Array.prototype.forEach.call(doc.querySelectorAll("section.posts > article.post"), function (article) {
          var number = Number((article.id || "").replace("post-", ""));
          if (!(number > last) || document.getElementById(article.id)) { return; }
          var node = document.importNode(article, true);
          list.appendChild(node);
          last = Math.max(last, number);
          if (!shown) { shown = node; }
        });
        if (!shown) { window.location.assign(target); return; }
        reset();
        shown.setAttribute("tabindex", "-1");
        shown.focus();
      }).catch(function () { window.location.assign(target); });
    });

    return function (data) {
      if (!data || data.topic_id !== topicId || data.post_number <= last || fresh[data.post_number]) { return; }
      fresh[data.post_number] = true;
      count += 1;
      if (data.post_number < firstNumber) {
        firstNumber = data.post_number;
        firstUrl = root.dataset.postUrl.replace(/0$/, String(data.post_id));
      }
      var label = count + (count === 1 ? " new reply" : " new replies");
      button.textContent = label;
      button.hidden = false;
      status.textContent = label;
    };
  }

  function start() {
    var topicRoot = document.getElementById("live-topic");
    var onReply = topicRoot ? topicWatcher(topicRoot) : null;
    var socket = window.io("/live", { withCredentials: true });
    socket.on("connect", function () {
      document.documentElement.setAttribute("data-live", "connected");
      if (!topicRoot) { return; }
      socket.emit("watch", { kind: "topic", id: Number(topicRoot.dataset.topicId) }, function (answer) {
        if (answer && answer.ok) { document.documentElement.setAttribute("data-live", "watching"); }
      });
    });
    socket.on("notification_count", function (data) {
      if (data && typeof data.unread === "number") { showUnread(data.unread); }
    });
    if (onReply) { socket.on("topic_reply", onReply); }
  }

  withSocketIo(start);
})();
