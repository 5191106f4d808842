// Every obstacle form (the firm portal's, the staff form, the visit form's inline
// obstacles): when a category is chosen, show the policy guides and checklists
// the CMS holds for it, an HTML fragment of our own origin (/cms/related/).
//
// Markup: an element with data-related-scope holds one category <select> (named
// "category" or "<prefix>-category") and one ".related-box[data-url]" where the
// fragment goes. Listening on the document also covers obstacles added to the
// visit form after load. An external file, so the Content-Security-Policy needs
// no inline script.
(function () {
  "use strict";
  if (!window.fetch || !document.addEventListener) {
    return;
  }
  var SELECT = "select[name='category'], select[name$='-category']";

  function boxFor(select) {
    var scope = select.closest ? select.closest("[data-related-scope]") : null;
    return scope ? scope.querySelector(".related-box[data-url]") : null;
  }

  function load(select) {
    var box = boxFor(select);
    if (!box) {
      return;
    }
    var value = select.value;
    if (!value) {
      box.innerHTML = "";
      return;
    }
    fetch(box.dataset.url + "?category=" + encodeURIComponent(value),
          {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        // a slower answer for an earlier choice must not overwrite the latest
        if (select.value === value) {
          box.innerHTML = html;
        }
      })
      .catch(function () { box.innerHTML = ""; });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches(SELECT) && boxFor(target)) {
      load(target);
    }
  });
  Array.prototype.forEach.call(
    document.querySelectorAll("[data-related-scope]"),
    function (scope) {
      var select = scope.querySelector(SELECT);
      if (select) {
        load(select);
      }
    });
})();
