// Behaviour shared by every page, in a file because the Content-Security-Policy refuses inline
// scripts and on…="" attributes: a select marked data-autosubmit submits its form when changed,
// a button marked data-print prints the page.
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
