/* Sessions of the roles that see person data end after a while without activity (the server decides:
   accounts.middleware.SessionTimeoutMiddleware). This script warns two minutes before, lets the person
   stay logged in, counts typing as activity (a keep-alive at most once a minute) and keeps what was
   typed in this browser tab's sessionStorage, so that a form left open past the limit is filled in
   again after the next login; a draft is forgotten when its form is sent. No inline script (CSP). */
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (!idle) {
    return;
  }
  var url = body.getAttribute("data-keepalive-url");
  var csrf = body.getAttribute("data-csrf");
  var warning = document.getElementById("session-warning");
  var stay = document.getElementById("session-stay");
  var restored = document.getElementById("draft-restored");
  var draftKey = "hotspot-draft:" + window.location.pathname;
  var warnAfter = Math.max(idle - 120, idle / 2) * 1000;
  var timers = [];
  var lastPing = Date.now();

  function fields(form) {
    return form.querySelectorAll(
      "input[name]:not([type=hidden]):not([type=password]):not([type=file]):not([type=submit])," +
        "textarea[name], select[name]"
    );
  }

  function postForms() {
    return Array.prototype.filter.call(document.forms, function (f) {
      return (f.getAttribute("method") || "").toLowerCase() === "post";
    });
  }

  function saveDraft() {
    var draft = {};
    postForms().forEach(function (form, i) {
      Array.prototype.forEach.call(fields(form), function (el) {
        var value = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
        draft[i + ":" + el.name + ":" + (el.type === "checkbox" || el.type === "radio" ? el.value : "")] = value;
      });
    });
    try {
      window.sessionStorage.setItem(draftKey, JSON.stringify(draft));
    } catch (e) {
      /* storage full or refused: nothing to keep */
    }
  }

  function restoreDraft() {
    var raw = null;
    try {
      raw = window.sessionStorage.getItem(draftKey);
    } catch (e) {
      return;
    }
    if (!raw) {
      return;
    }
    var draft = JSON.parse(raw);
    var filled = false;
    postForms().forEach(function (form, i) {
      Array.prototype.forEach.call(fields(form), function (el) {
        var box = el.type === "checkbox" || el.type === "radio";
        var k = i + ":" + el.name + ":" + (box ? el.value : "");
        if (!(k in draft)) {
          return;
        }
        if (box && el.checked !== draft[k]) {
          el.checked = draft[k];
          filled = true;
        } else if (!box && el.value === "" && draft[k] !== "") {
          el.value = draft[k];
          filled = true;
        }
      });
      form.addEventListener("submit", function () {
        window.sessionStorage.removeItem(draftKey);
      });
    });
    if (filled && restored) {
      restored.hidden = false;
    }
  }

  function schedule() {
    timers.forEach(window.clearTimeout);
    timers = [window.setTimeout(warn, warnAfter), window.setTimeout(expire, idle * 1000)];
  }

  function warn() {
    saveDraft();
    warning.hidden = false;
    stay.focus();
  }

  function expire() {
    saveDraft();
    // the server has ended the session: it answers with the login page, which comes back here
    window.location.assign(window.location.pathname + window.location.search);
  }

  function ping() {
    lastPing = Date.now();
    window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
      })
      .then(function (response) {
        if (response.status === 401) {
          expire();
          return;
        }
        warning.hidden = true;
        schedule();
      });
  }

  function typed() {
    saveDraft();
    if (Date.now() - lastPing > 60000) {
      ping();
    }
  }

  postForms().forEach(function (form) {
    form.addEventListener("submit", function () {
      window.sessionStorage.removeItem(draftKey);
    });
  });
  document.addEventListener("input", typed);
  stay.addEventListener("click", ping);
  restoreDraft();
  schedule();
})();
