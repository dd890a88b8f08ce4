// Progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // Confirm destructive actions marked with data-confirm (no inline handlers: CSP).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Header: when the links do not fit on one row (a phone, or many plug-in links), fold
  // them and the search box behind the "Menu" button. Measured rather than set by a
  // breakpoint, so it holds for any number of links. Without this script the links
  // wrap instead.
  function setUpHeader() {
    var bar = document.querySelector(".site-header .header-bar");
    var toggle = bar && bar.querySelector(".nav-toggle");
    var panel = bar && bar.querySelector(".nav-panel");
    if (!bar || !toggle || !panel) {
      return;
    }
    toggle.hidden = false;
    bar.classList.add("js-nav");

    function setOpen(open) {
      panel.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }

    function fit() {
      var wasOpen = panel.classList.contains("is-open");
      bar.classList.remove("nav-collapsed");
      // Overflow = a row item ends past the bar's content edge (not scrollWidth, which
      // would also count an open menu's absolutely positioned list).
      var style = window.getComputedStyle(bar);
      var edge = bar.getBoundingClientRect().right - parseFloat(style.paddingRight) + 1;
      var overflows = Array.prototype.some.call(bar.children, function (child) {
        return child.getClientRects().length > 0 && child.getBoundingClientRect().right > edge;
      });
      bar.classList.toggle("nav-collapsed", overflows);
      if (!overflows) {
        setOpen(false);
      } else {
        setOpen(wasOpen);
      }
    }

    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
      if (panel.classList.contains("is-open")) {
        var first = panel.querySelector("a, input");
        if (first) {
          first.focus();
        }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
    var pending = false;
    window.addEventListener("resize", function () {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          fit();
        });
      }
    });
    fit();
  }

  // Menus built on <details data-dismissable> (the account menu) close on Escape and
  // on a click elsewhere, as a menu is expected to.
  function setUpMenus() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details[data-dismissable][open]").forEach(function (menu) {
        if (!menu.contains(event.target)) {
          menu.open = false;
        }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      document.querySelectorAll("details[data-dismissable][open]").forEach(function (menu) {
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary && menu.contains(document.activeElement)) {
          summary.focus();
        }
      });
    });
  }

  // Filter drawers (<details data-open-wide>) start folded so a phone sees results
  // first; on a wide screen they open, beside the results.
  function openWideDrawers() {
    if (window.matchMedia && window.matchMedia("(min-width: 800px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (drawer) {
        drawer.open = true;
      });
    }
  }

  setUpHeader();
  setUpMenus();
  openWideDrawers();
})();
