/* 纸业通 B2B — small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // Collapsing top navigation on narrow screens.
    document.querySelectorAll("[data-nav-toggle]").forEach(function (button) {
      var header = button.closest(".site-header");
      if (!header) { return; }
      button.addEventListener("click", function () {
        var open = header.classList.toggle("is-open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });

    // Dismissable flash messages.
    document.querySelectorAll("[data-dismiss]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = button.closest(button.getAttribute("data-dismiss"));
        if (target) { target.remove(); }
      });
    });

    // Copy buttons (e.g. a newly issued API key).
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        if (!source) { return; }
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          var label = button.textContent;
          button.textContent = button.getAttribute("data-copied-label") || label;
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  });

  // Forms that ask before submitting: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (form.hasAttribute("onsubmit")) { return; }  // already handled inline
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  }, true);
})();
