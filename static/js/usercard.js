// User cards (templates/identity/_macros.html): each is a native <details>, so a tap,
// a click, Enter or Space opens it without this file. This adds what a popover is
// expected to do besides: open on hover with a mouse, one open at a time, close on
// Escape (focus back on the avatar) and on a click elsewhere. Listeners are delegated
// from the document, so posts that arrive live get the same behaviour.
(function () {
  "use strict";

  function cardOf(node) {
    return node && node.closest ? node.closest("details.usercard") : null;
  }

  function closeAll(except) {
    document.querySelectorAll("details.usercard[open]").forEach(function (card) {
      if (card !== except) {
        card.open = false;
        delete card.dataset.hover;
      }
    });
  }

  document.addEventListener("pointerover", function (event) {
    var card = cardOf(event.target);
    if (event.pointerType !== "mouse" || !card || card.open || card.contains(event.relatedTarget)) {
      return;
    }
    closeAll(card);
    card.dataset.hover = "1";
    card.open = true;
  });

  document.addEventListener("pointerout", function (event) {
    var card = cardOf(event.target);
    if (event.pointerType !== "mouse" || !card || !card.dataset.hover || card.contains(event.relatedTarget)) {
      return;
    }
    card.open = false;
    delete card.dataset.hover;
  });

  // "toggle" does not bubble, but a capturing listener still hears it.
  document.addEventListener("toggle", function (event) {
    var card = event.target;
    if (card.matches && card.matches("details.usercard") && card.open) {
      closeAll(card);
    }
  }, true);

  document.addEventListener("click", function (event) {
    var card = cardOf(event.target);
    if (!card) {
      closeAll(null);
      return;
    }
    // A click on the avatar of a card the mouse opened keeps it open (pins it).
    if (card.dataset.hover && event.target.closest("summary")) {
      event.preventDefault();
      delete card.dataset.hover;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("details.usercard[open]").forEach(function (card) {
      var hadFocus = card.contains(document.activeElement);
      card.open = false;
      delete card.dataset.hover;
      if (hadFocus) {
        card.querySelector("summary").focus();
      }
    });
  });
})();
