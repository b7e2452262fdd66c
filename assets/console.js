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

// "Insérer" puts the chosen saved reply, filled in for this submission, at the reply box's
// cursor, without reloading the page. Should the text not come, the form posts as without
// JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("saved-reply-insert");
  var select = document.getElementById("saved-reply");
  var box = document.getElementById("reply-body");
  if (!button || !select || !box || !window.fetch) return;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var url = select.getAttribute("data-fill") + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/plain" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (text) {
        var start = box.selectionStart, end = box.selectionEnd;
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
        box.focus();
        box.setSelectionRange(start + text.length, start + text.length);
      })
      .catch(function () {
        button.form.action = button.getAttribute("formaction");
        button.form.submit();
      });
  });
});

// "Désactiver" asks first: in a dialog here, on a page of its own without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        return;
      }
      var confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirm";
      confirmed.value = "1";
      form.appendChild(confirmed);
    });
  });
});

// Ctrl+Enter (or Cmd+Enter) in the composer sends the reply, as its button does.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("composer");
  if (!form) return;
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    var send = document.getElementById("send-reply");
    if (form.requestSubmit) form.requestSubmit(send); else send.click();
  });
});
