// Progressive enhancement for the staff console: every page works without this file.
// A "select all" box above the inbox's rows.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("bulk");
  if (!form) return;
  var boxes = form.querySelectorAll("input[name=ids]");
  var head = form.querySelector("thead th");
  if (!boxes.length || !head) return;
  var all = document.createElement("input");
  all.type = "checkbox";
  all.setAttribute("aria-label", document.documentElement.lang === "en" ? "Select all" : "Tout choisir");
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
  });
  head.appendChild(all);
});
