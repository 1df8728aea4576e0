// A running computation (a study, a spatial run): reload the page every few seconds until the background task has finished.
(function () {
  "use strict";
  window.setTimeout(function () { window.location.reload(); }, 3000);
})();
