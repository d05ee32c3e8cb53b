// Field agent pages: fill the device position (lat, lon, accuracy, time of capture) into the
// route form and the visit forms from the browser's geolocation. Without it (denied, no GPS)
// the fields stay empty and the server orders by arrears and flags the visit "no position".
(function () {
  if (!("geolocation" in navigator)) return;
  function fill(pos) {
    var c = pos.coords, at = new Date(pos.timestamp).toISOString();
    document.querySelectorAll("[data-geo]").forEach(function (el) {
      var kind = el.getAttribute("data-geo");
      if (kind === "lat") el.value = c.latitude.toFixed(6);
      else if (kind === "lon") el.value = c.longitude.toFixed(6);
      else if (kind === "acc") el.value = Math.round(c.accuracy);
      else if (kind === "at") el.value = at;
    });
  }
  navigator.geolocation.getCurrentPosition(fill, function () {}, {
    enableHighAccuracy: true, timeout: 10000, maximumAge: 60000,
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".voc-form")) return;
    var at = form.querySelector("[data-geo='at']");
    if (at && !at.value) at.value = new Date().toISOString();
  }, true);
})();
