/* The main menu below 992 px: DKFDS's mobile drawer (markup and styles from the design system, in
   base.html), opened by the menu button. A small script of our own instead of DKFDS's JavaScript, which
   would also rebuild the desktop menu. Keyboard: the button says whether the menu is open
   (aria-expanded), focus moves into the drawer and stays there, Escape or "Luk menu" closes it and
   returns focus to the button. No inline script or style: the Content-Security-Policy refuses them. */
(function () {
  "use strict";
  var button = document.getElementById("menu-open");
  var drawer = document.getElementById("mobile-menu");
  var overlay = document.getElementById("menu-overlay");
  if (!button || !drawer) {
    return;
  }
  var wide = window.matchMedia("(min-width: 992px)");
  var focusable = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled])";

  function isOpen() {
    return drawer.classList.contains("is-visible");
  }

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close(true);
      return;
    }
    if (event.key !== "Tab") {
      return;
    }
    var items = Array.prototype.filter.call(drawer.querySelectorAll(focusable), function (el) {
      return el.offsetWidth > 0 || el.offsetHeight > 0;
    });
    if (!items.length) {
      return;
    }
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function open() {
    drawer.classList.add("is-visible");
    if (overlay) {
      overlay.classList.add("is-visible");
    }
    document.body.classList.add("mobile-nav-active");
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("keydown", onKey);
    var closer = drawer.querySelector(".js-menu-close");
    (closer || drawer).focus();
  }

  function close(returnFocus) {
    if (!isOpen()) {
      return;
    }
    drawer.classList.remove("is-visible");
    if (overlay) {
      overlay.classList.remove("is-visible");
    }
    document.body.classList.remove("mobile-nav-active");
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("keydown", onKey);
    if (returnFocus && button.offsetWidth > 0) {
      button.focus();
    }
  }

  button.addEventListener("click", function () {
    if (isOpen()) {
      close(true);
    } else {
      open();
    }
  });
  document.querySelectorAll(".js-menu-close").forEach(function (el) {
    el.addEventListener("click", function () {
      close(true);
    });
  });
  // Wider than 992 px the menu bar is back and the drawer has no place.
  var onWide = function () {
    if (wide.matches) {
      close(false);
    }
  };
  if (wide.addEventListener) {
    wide.addEventListener("change", onWide);
  } else {
    wide.addListener(onWide);
  }

  // A tab row that scrolls sideways on small screens shows the current tab.
  document.querySelectorAll(".pg-tabs, .app-tabs").forEach(function (row) {
    var current = row.querySelector("[aria-current='page']");
    var scroller = row.matches("ul") ? row : row.querySelector("ul");
    if (!current || !scroller || scroller.scrollWidth <= scroller.clientWidth) {
      return;
    }
    var item = current.closest("li") || current;
    scroller.scrollLeft = Math.max(0, item.offsetLeft - 16); // the row is position: relative
  });
})();
