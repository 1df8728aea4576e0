/* Wide tables scroll sideways inside their own box instead of widening the page (WCAG 1.4.10 reflow).
   Every table in the page's content gets a wrapper (unless a template already gave it one); while the
   table is wider than the wrapper, the wrapper is a labelled region in the tab order, so keyboard users
   can scroll it too. The label is the table's caption after the words in <main data-scroll-label>. */
(function () {
  "use strict";
  var main = document.getElementById("main-content");
  if (!main) {
    return;
  }
  var prefix = main.getAttribute("data-scroll-label") || "";
  var wrappers = [];

  main.querySelectorAll("table").forEach(function (table) {
    var parent = table.parentElement;
    var wrapper;
    if (parent.classList.contains("table--responsive-scroll")) {
      wrapper = parent;
    } else {
      wrapper = document.createElement("div");
      wrapper.className = "table--responsive-scroll";
      parent.insertBefore(wrapper, table);
      wrapper.appendChild(table);
    }
    if (!wrapper.hasAttribute("aria-label") && !wrapper.hasAttribute("aria-labelledby")) {
      var caption = table.querySelector("caption");
      var name = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
      wrapper.setAttribute("data-label", name ? prefix + ": " + name : prefix);
    }
    wrappers.push(wrapper);
  });

  function update() {
    wrappers.forEach(function (wrapper) {
      var scrolls = wrapper.scrollWidth > wrapper.clientWidth + 1;
      if (wrapper.hasAttribute("data-label")) {
        if (scrolls) {
          wrapper.setAttribute("tabindex", "0");
          wrapper.setAttribute("role", "region");
          wrapper.setAttribute("aria-label", wrapper.getAttribute("data-label"));
        } else {
          wrapper.removeAttribute("tabindex");
          wrapper.removeAttribute("role");
          wrapper.removeAttribute("aria-label");
        }
      }
    });
  }
  update();
  var timer;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 100);
  });
  // A table inside a closed <details> has no width yet: look again when it opens.
  main.querySelectorAll("details").forEach(function (details) {
    details.addEventListener("toggle", update);
  });
})();
