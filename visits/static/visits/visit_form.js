// The visit form never loses typed text: every change is kept in this phone's
// localStorage; a submit that fails for lack of network keeps it and says so;
// the next load restores it with a notice. No inline script (CSP-friendly).
(function () {
  "use strict";
  var form = document.querySelector("form.visit-form");
  if (!form) return;
  var key = "servicedesk:" + form.dataset.storageKey;
  var notice = document.getElementById("offline-notice");
  function say(text) { notice.textContent = text; notice.hidden = false; }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "hidden" && el.type !== "submit";
    });
  }
  function save() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (data[el.name] = data[el.name] || []).push(el.value);
      } else { data[el.name] = el.value; }
    });
    data.__obstacles = document.querySelectorAll("#ob-forms .ob").length;
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full */ }
  }
  function addObstacle() {
    var total = form.querySelector("[name=ob-TOTAL_FORMS]");
    var n = parseInt(total.value, 10);
    var html = document.getElementById("ob-template").innerHTML.replace(/__prefix__/g, n);
    document.getElementById("ob-forms").insertAdjacentHTML("beforeend", html);
    total.value = n + 1;
  }
  function restore() {
    var raw = localStorage.getItem(key);
    if (!raw || form.querySelector(".errorlist")) return;  // the server's copy wins
    var data = JSON.parse(raw);
    while (document.querySelectorAll("#ob-forms .ob").length < (data.__obstacles || 0)) addObstacle();
    var changed = false;
    fields().forEach(function (el) {
      if (!(el.name in data)) return;
      if (el.type === "checkbox" || el.type === "radio") {
        var on = data[el.name].indexOf(el.value) >= 0;
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.value !== data[el.name] && data[el.name] !== "") {
        el.value = data[el.name]; changed = true;
      }
    });
    if (changed) say(form.dataset.restored);
  }

  document.getElementById("ob-add").addEventListener("click", function () { addObstacle(); save(); });
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  document.getElementById("use-location").addEventListener("change", function (e) {
    if (!e.target.checked || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
    });
  });
  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData) return;  // plain submit on old browsers
    event.preventDefault();
    save();
    var body = new FormData(form);
    if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
    fetch(form.action || window.location.href, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected && response.ok) {
          localStorage.removeItem(key);
          window.location.assign(response.url);
          return null;
        }
        return response.text().then(function (html) {  // form errors: show the server's page
          document.open(); document.write(html); document.close();
        });
      })
      .catch(function () { say(form.dataset.offline); });
  });
  restore();
})();
