// Behaviour shared by every page, in a file because the Content-Security-Policy refuses inline
// scripts and on…="" attributes: a select marked data-autosubmit submits its form when changed,
// a button marked data-print prints the page, and a form sent back with errors puts the focus on
// its first wrong field, which names its message to screen readers.
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Crispy marks a wrong field with .is-invalid and writes its message in elements
  // id="error_N_<field id>": tie them together (aria-invalid, aria-describedby), then move the
  // focus there, so that a keyboard or screen-reader user lands on what must be corrected.
  var wrong = Array.prototype.filter.call(
    document.querySelectorAll("form .is-invalid, form [aria-invalid='true']"),
    function (field) { return field.id && !field.disabled && field.type !== "hidden"; });
  wrong.forEach(function (field) {
    field.setAttribute("aria-invalid", "true");
    var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    document.querySelectorAll("[id^='error_'][id$='_" + field.id + "']").forEach(function (error) {
      if (ids.indexOf(error.id) === -1) { ids.unshift(error.id); }
    });
    if (ids.length) { field.setAttribute("aria-describedby", ids.join(" ")); }
  });
  if (wrong.length && !document.querySelector("[autofocus]")) { wrong[0].focus(); }
})();
