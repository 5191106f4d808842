// The firm portal's obstacle form: when a category is chosen, show the policy
// guides and checklists the CMS holds for it (an HTML fragment of our own
// origin). An external file, so the Content-Security-Policy needs no inline script.
(function () {
  "use strict";
  var select = document.getElementById("id_category");
  var box = document.getElementById("related-pages");
  if (!select || !box || !window.fetch) {
    return;
  }
  function load() {
    if (!select.value) {
      box.innerHTML = "";
      return;
    }
    fetch(box.dataset.url + "?category=" + encodeURIComponent(select.value),
          {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { box.innerHTML = ""; });
  }
  select.addEventListener("change", load);
  load();
})();
