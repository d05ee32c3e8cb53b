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

// The SLA countdown is written by the server (cases.sla.countdown), in words, one helper.
