// Small behaviours shared by every page. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});

// A refused fragment (400 with its reason inside, marked by core.view_helpers) replaces its
// target like a 429 does; otherwise the page would keep showing a stale answer.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.getResponseHeader("Amanah-Refused-Fragment") === "1") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Live SLA countdown: every element with data-due shows the time left (or overdue).
function slaText(dueIso) {
  const minutes = Math.round((new Date(dueIso) - new Date()) / 60000);
  const abs = Math.abs(minutes);
  const span = abs >= 1440 ? `${Math.floor(abs / 1440)}h ${Math.floor((abs % 1440) / 60)}j` : `${Math.floor(abs / 60)}j ${abs % 60}m`;
  return minutes < 0 ? `terlambat ${span}` : `sisa ${span}`;
}
function refreshCountdowns() {
  document.querySelectorAll("[data-due]").forEach((el) => {
    if (el.dataset.paused) return;
    if (!el.dataset.label) el.dataset.label = el.textContent;
    el.textContent = `${el.dataset.label} (${slaText(el.dataset.due)})`;
  });
}
document.addEventListener("DOMContentLoaded", () => { refreshCountdowns(); setInterval(refreshCountdowns, 30000); });
