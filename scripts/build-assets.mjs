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
  // The field map (Leaflet: BSD-2, no dependencies). Its stylesheet names the images by a
  // relative path, so they sit beside it in vendor/leaflet/.
  "leaflet/leaflet.js": "node_modules/leaflet/dist/leaflet.js",
  "leaflet/leaflet.js.map": "node_modules/leaflet/dist/leaflet.js.map",
  "leaflet/leaflet.css": "node_modules/leaflet/dist/leaflet.css",
  "leaflet/images/layers.png": "node_modules/leaflet/dist/images/layers.png",
  "leaflet/images/layers-2x.png": "node_modules/leaflet/dist/images/layers-2x.png",
  "leaflet/images/marker-icon.png": "node_modules/leaflet/dist/images/marker-icon.png",
  "leaflet/images/marker-icon-2x.png": "node_modules/leaflet/dist/images/marker-icon-2x.png",
  "leaflet/images/marker-shadow.png": "node_modules/leaflet/dist/images/marker-shadow.png",
};

for (const [target, source] of Object.entries(files)) {
  mkdirSync(dirname(join(vendor, target)), { recursive: true });
  copyFileSync(join(root, source), join(vendor, target));
  console.log(`assets: ${source} -> amanah/static/vendor/${target}`);
}
