// The clerk's page: what htmx does not do by itself. No inline scripts (the page's CSP forbids them).
(function () {
  "use strict";
  // Mark the inputs the current findings name (aria-invalid, and the finding as their description).
  function markFields() {
    var form = document.getElementById("editor");
    if (!form) return;
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    document.querySelectorAll(".finding[data-field]").forEach(function (li, n) {
      var name = li.getAttribute("data-field");
      if (!name) return;
      var input = form.querySelector('[name="' + name.replace(/"/g, "") + '"]');
      if (!input || input.type === "hidden") return;
      li.id = li.id || "finding-" + n;
      input.setAttribute("aria-invalid", "true");
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + li.id : li.id);
    });
  }
  // After box 8's table was redrawn (add, remove, move), check again.
  function afterSwap(event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "box8-table" && window.htmx) {
      window.htmx.trigger(document.getElementById("editor"), "input");
    }
  }
  // Import: a chosen file is read into the text area (no upload format needed).
  function fillFromFile(event) {
    var input = event.target;
    var targetId = input.getAttribute("data-fills");
    if (!targetId || !input.files || !input.files[0]) return;
    var reader = new FileReader();
    reader.onload = function () { document.getElementById(targetId).value = reader.result; };
    reader.readAsText(input.files[0]);
  }
  document.addEventListener("DOMContentLoaded", markFields);
  document.addEventListener("htmx:afterSettle", markFields);
  document.addEventListener("htmx:afterSwap", afterSwap);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-fills]")) fillFromFile(event);
  });
})();
