"use strict";
// Setup page tabs: the URL hash names the open tab, so a link (or a reload) lands on it.
(() => {
  const tabs = document.querySelectorAll("[data-tab]");
  const panels = document.querySelectorAll("[data-panel]");
  function show() {
    const wanted = (window.location.hash || "#config").slice(1);
    const known = Array.from(panels).some((panel) => panel.dataset.panel === wanted);
    const name = known ? wanted : "config";
    panels.forEach((panel) => { panel.hidden = panel.dataset.panel !== name; });
    tabs.forEach((tab) => {
      const selected = tab.dataset.tab === name;
      tab.classList.toggle("active", selected);
      tab.setAttribute("aria-selected", String(selected));
    });
    document.dispatchEvent(new CustomEvent("setup:tab", { detail: name }));
  }
  window.addEventListener("hashchange", show);
  show();
})();
