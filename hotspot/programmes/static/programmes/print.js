// "Print" buttons (data-print): a script file, not an onclick attribute, so the Content-Security-Policy
// can refuse inline script.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
