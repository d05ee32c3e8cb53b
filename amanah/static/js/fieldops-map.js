// The field map (Leaflet, served from static/vendor): reads the JSON named by data-src
// (fieldops:map, fieldops:team_map or fieldops:wo_map) and draws the work orders as circles
// coloured by status — in route order with numbered labels and the route line when the answer
// carries an order — on a plain background with the area outlines and a scale. No internet
// tiles: a tile layer only when the server names an intranet tile server ("tiles").
// Every text shown comes from the page's data-t-* attributes (translated by the server) or
// the JSON; nothing is written as HTML except through textContent and DOM nodes.
(function () {
  "use strict";

  function text(el, name) {
    return el.getAttribute("data-t-" + name) || "";
  }

  function link(href, label, newTab) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    if (newTab) {
      a.target = "_blank";
      a.rel = "noopener";
    }
    return a;
  }

  function popup(el, wo) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = (wo.order ? wo.order + ". " : "") + wo.customer;
    box.appendChild(title);
    var line = document.createElement("div");
    line.textContent = wo.number + " · " + wo.status_label + (wo.agent ? " · " + wo.agent : "");
    box.appendChild(line);
    var links = document.createElement("div");
    links.appendChild(link(wo.url, text(el, "open")));
    if (wo.navigate && wo.navigate.geo) {
      links.appendChild(document.createTextNode(" · "));
      var nav = link(wo.navigate.geo, text(el, "navigate"));
      nav.setAttribute("data-testid", "map-navigate");
      links.appendChild(nav);
      links.appendChild(document.createTextNode(" · "));
      links.appendChild(link(wo.navigate.directions, text(el, "directions"), true));
    }
    box.appendChild(links);
    return box;
  }

  function legend(wrap, data) {
    var list = wrap.querySelector("[data-map-legend]");
    if (!list) return;
    list.textContent = "";
    var shown = {};
    data.work_orders.forEach(function (wo) { shown[wo.status] = true; });
    data.legend.forEach(function (entry) {
      if (!shown[entry.status]) return;
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = entry.colour;
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(entry.label));
      list.appendChild(li);
    });
  }

  function summary(el, wrap, data) {
    var out = wrap.querySelector("[data-map-summary]");
    if (!out) return;
    var parts = [];
    if (!data.work_orders.length) parts.push(text(el, "empty"));
    if (data.total_km !== null && data.total_km !== undefined) {
      parts.push(text(el, "total") + ": " + data.total_km.toFixed(1) + " km");
    }
    if (data.unplaced) parts.push(data.unplaced + " " + text(el, "unplaced"));
    if (data.left_off) parts.push(data.left_off + " " + text(el, "left-off"));
    out.textContent = parts.join(" · ");
  }

  // Drawing again (the offline app after a sync) replaces the map in place and keeps the
  // agent's current view instead of jumping back to the whole day.
  function draw(el, data) {
    var wrap = el.parentNode;
    var kept = null;
    if (el._fieldMap) {
      kept = { centre: el._fieldMap.getCenter(), zoom: el._fieldMap.getZoom() };
      el._fieldMap.remove();
    }
    var map = L.map(el, { zoomControl: true, attributionControl: !!data.tiles });
    el._fieldMap = map;
    if (data.tiles) L.tileLayer(data.tiles, { maxZoom: 19 }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    var bounds = [];
    (data.areas || []).forEach(function (area) {
      var shape;
      if (area.polygon && area.polygon.length > 2) {
        shape = L.polygon(area.polygon, { color: "#475569", weight: 1.5, fillOpacity: 0.05 });
      } else if (area.centre) {
        shape = L.circle(area.centre, {
          radius: area.radius_m, color: "#475569", weight: 1.5, fillOpacity: 0.05,
        });
      }
      if (shape) shape.bindTooltip(area.name).addTo(map);
    });
    var ordered = data.work_orders.filter(function (wo) { return wo.order; });
    ordered.sort(function (a, b) { return a.order - b.order; });
    if (data.origin && ordered.length) {
      var path = [data.origin].concat(ordered.map(function (wo) { return [wo.lat, wo.lon]; }));
      L.polyline(path, { color: "#2563eb", weight: 2, dashArray: "4 6" }).addTo(map);
    }
    if (data.origin) {
      L.circleMarker(data.origin, { radius: 6, color: "#111827", fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(text(el, "origin")).addTo(map);
      bounds.push(data.origin);
    }
    data.work_orders.forEach(function (wo) {
      var marker = L.circleMarker([wo.lat, wo.lon], {
        radius: 9, color: "#fff", weight: 2, fillColor: wo.colour, fillOpacity: 0.95,
        className: "wo-marker wo-" + wo.status.toLowerCase(),
      });
      marker.bindPopup(popup(el, wo));
      if (wo.order) {
        marker.bindTooltip(String(wo.order), {
          permanent: true, direction: "top", className: "field-map-order", offset: [0, -8],
        });
      }
      marker.addTo(map);
      bounds.push([wo.lat, wo.lon]);
    });
    if (kept) map.setView(kept.centre, kept.zoom);
    else if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    else map.setView([-2.5, 118], 4); // Indonesia
    el.setAttribute("data-markers", String(data.work_orders.length));
    el.setAttribute("data-ready", "1");
    legend(wrap, data);
    summary(el, wrap, data);
  }

  function load(el) {
    fetch(el.getAttribute("data-src"), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (data) { draw(el, data); })
      .catch(function () {
        var out = el.parentNode.querySelector("[data-map-summary]");
        if (out) out.textContent = text(el, "error");
        el.setAttribute("data-ready", "error");
      });
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-field-map][data-src]").forEach(load);
  }

  // The offline app draws from the data it keeps (no fetch): AmanahFieldMap.draw(el, data).
  window.AmanahFieldMap = { draw: draw };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
