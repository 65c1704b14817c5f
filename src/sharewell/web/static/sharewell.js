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

// An upload loading: follow its progress in place; at the end go to its report (or show why
// it failed), or to the confirm step when it would replace data in use. Without JavaScript the page refreshes itself instead.
const upload = document.querySelector("[data-upload-job]");
if (upload) {
  const jobId = upload.dataset.uploadJob;
  const follow = async () => {
    const response = await fetch(`/api/v1/uploads/jobs/${jobId}`, { credentials: "same-origin" });
    const job = await response.json();
    if (!response.ok || job.done || job.awaiting_decision) {
      window.location.assign(`/uploads/jobs/${jobId}`);
      return;
    }
    upload.querySelector("[data-upload-stage]").textContent = job.stage;
    upload.querySelector("[data-upload-step]").textContent = job.step;
    upload.querySelector("progress").value = job.step;
    setTimeout(follow, 500);
  };
  setTimeout(follow, 500);
}
