// Progressive enhancement only: every page works for reading without JavaScript.
import { initAll } from "/static/govuk/govuk-frontend.min.js";
initAll();

// Charts: each figure carries its Vega-Lite spec as JSON; draw it, then fold away the table
// of the same figures (still there for anyone who wants the numbers).
for (const el of document.querySelectorAll("[data-chart-spec]")) {
  if (!window.vegaEmbed) break;
  const spec = JSON.parse(document.getElementById(el.dataset.chartSpec).textContent);
  window
    .vegaEmbed(el, spec, { actions: false, renderer: "svg" })
    .then(() => {
      el.dataset.chartDrawn = "true";
      el.closest("figure")?.querySelector("details[data-chart-table]")?.removeAttribute("open");
    })
    .catch((error) => console.error("chart not drawn", error));
}
