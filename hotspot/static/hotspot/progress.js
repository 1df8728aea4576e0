// A running study: reload the page every few seconds until the background task has finished.
(function () {
  "use strict";
  window.setTimeout(function () { window.location.reload(); }, 3000);
})();
