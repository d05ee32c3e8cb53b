// Copies the browser builds of our npm dependencies into amanah/static/vendor/.
// Run by `make assets`; the files are served by the app (no CDN at run time).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "amanah", "static", "vendor");
const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "alpine.min.js": "node_modules/@alpinejs/csp/dist/cdn.min.js",
  "pico.min.css": "node_modules/@picocss/pico/css/pico.min.css",
  "sortable.min.js": "node_modules/sortablejs/Sortable.min.js",
  "chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
  // The journey canvas (drawflow: MIT, no dependencies, ~46 kB; styles only through CSSOM,
  // which the CSP's style-src 'self' allows).
  "drawflow.min.js": "node_modules/drawflow/dist/drawflow.min.js",
  "drawflow.min.css": "node_modules/drawflow/dist/drawflow.min.css",
  // Named by the file's sourceMappingURL: the manifest storage refuses a missing reference.
  "chart.umd.min.js.map": "node_modules/chart.js/dist/chart.umd.min.js.map",
};

mkdirSync(vendor, { recursive: true });
for (const [target, source] of Object.entries(files)) {
  copyFileSync(join(root, source), join(vendor, target));
  console.log(`assets: ${source} -> amanah/static/vendor/${target}`);
}
