// Progressive enhancement only: every page works for reading without JavaScript.
import { initAll } from "/static/govuk/govuk-frontend.min.js";
initAll();
