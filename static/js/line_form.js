// Activity line form: province and district lists follow the chosen department and province,
// and "new beneficiaries" follows the sum of the sex-and-age figures the form shows (girls, boys,
// women, men, other 0–17, other 18+, and other of unrecorded age on a line that still has some).
(function () {
  "use strict";

  function refill(select, items) {
    var keep = select.value;
    var empty = select.options.length ? select.options[0].text : "---------";
    select.innerHTML = "";
    select.appendChild(new Option(empty, ""));
    items.forEach(function (item) {
      select.appendChild(new Option(item.name, item.code, false, item.code === keep));
    });
  }

  function clear(select) {
    if (select) { refill(select, []); select.dispatchEvent(new Event("change")); }
  }

  document.querySelectorAll("select[data-children]").forEach(function (parent) {
    var child = document.getElementById("id_" + parent.dataset.children);
    if (!child) { return; }
    // Typing a name in the list (or holding an arrow key) changes it once per key: only the
    // answer for the value chosen last may fill the child list, whatever order answers come in.
    var latest = 0;
    parent.addEventListener("change", function () {
      var asked = ++latest;
      if (!parent.value) { clear(child); return; }
      var url = parent.dataset.childrenUrl + "?parent=" + encodeURIComponent(parent.value);
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (asked !== latest) { return; }
          refill(child, data.children);
          child.dispatchEvent(new Event("change"));
        });
    });
  });

  var total = document.querySelector("[data-sum-of]");
  if (total) {
    var parts = total.dataset.sumOf.split(" ").map(function (name) {
      return document.getElementById("id_" + name);
    }).filter(Boolean);
    var update = function () {
      var sum = parts.reduce(function (acc, input) {
        var value = parseInt(input.value, 10);
        return acc + (isNaN(value) ? 0 : value);
      }, 0);
      total.value = sum;
    };
    parts.forEach(function (input) { input.addEventListener("input", update); });
  }

  // The modality list offers only what the chosen indicator allows; the server checks anyway.
  var modality = document.querySelector("select[data-follows-indicator]");
  var indicator = modality && document.getElementById(modality.dataset.followsIndicator);
  if (indicator && indicator.dataset.modalities) {
    var allowed = JSON.parse(indicator.dataset.modalities);
    // On opening, a stored line keeps its modality shown (the server names the problem).
    var restrict = function (opening) {
      var codes = allowed[indicator.value];
      Array.prototype.forEach.call(modality.options, function (option) {
        var off = Boolean(codes && option.value && codes.indexOf(option.value) === -1 &&
                          !(opening === true && option.value === modality.value));
        option.disabled = off;
        option.hidden = off;
      });
      if (opening === true) { return; }
      if (codes && modality.value && codes.indexOf(modality.value) === -1) {
        modality.value = codes.length === 1 ? codes[0] : "";
        modality.dispatchEvent(new Event("change"));
      } else if (codes && codes.length === 1 && !modality.value) {
        modality.value = codes[0];
        modality.dispatchEvent(new Event("change"));
      }
    };
    indicator.addEventListener("change", restrict);
    restrict(true);
  }
})();
