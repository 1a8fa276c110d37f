// A wide inline table scrolls in its own box (admin.css): the box takes the keyboard focus so
// that it can be scrolled without a mouse (WCAG 2.1.1, issue 17).
document.querySelectorAll(".inline-group .tabular").forEach(function (box) {
  box.setAttribute("tabindex", "0");
  box.setAttribute("role", "region");
  var heading = box.querySelector("h2");
  if (heading) box.setAttribute("aria-label", heading.textContent.trim());
});
