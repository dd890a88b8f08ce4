// Forums: progressive enhancement only; every action works without this file.
(function () {
  "use strict";
  // Opening a Reply/Quote link lands on #reply: put the cursor in the reply box,
  // after any quoted text, so the member can type straight away.
  function focusReply() {
    if (window.location.hash !== "#reply") return;
    var box = document.querySelector("#reply textarea");
    if (!box) return;
    box.focus();
    var end = box.value.length;
    box.setSelectionRange(end, end);
  }
  document.addEventListener("DOMContentLoaded", focusReply);
  window.addEventListener("hashchange", focusReply);
})();
