// The field agents' offline app (/lapangan/app/). The day's work orders, billing data,
// contact windows and map data are kept in IndexedDB; a visit result is written to the
// IndexedDB outbox first (with an idempotency key made on the device) and sent to the sync
// endpoint when the device is online — on load, when the network comes back, on the button,
// and every 15 s while results wait. The server answers each result: applied, a conflict
// (kept for the supervisor) or refused; answered results leave the outbox, so a result is
// sent until it is answered and applied at most once (the key). Outside the collection
// contact window (the windows come with the day's data, from the server's own rule) the form
// warns before saving. Every text shown comes from the page's data-t-* attributes or the
// server's JSON; nothing is written as HTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-field-app]");
  if (!root) return;
  var DB_NAME = "amanah-lapangan", RETRY_MS = 15000;
  var state = {
    day: null, outbox: [], answers: [], lastSync: null, syncing: false, syncAgain: false, csrf: ""
  };

  function t(name) { return root.getAttribute("data-t-" + name) || ""; }
  function $(sel) { return root.querySelector(sel); }

  // --------------------------------------------------------------------- IndexedDB
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      db.createObjectStore("outbox", { keyPath: "key" });
      db.createObjectStore("meta");
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function store(name, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function metaGet(key) { return store("meta", "readonly", function (s) { return s.get(key); }); }
  function metaPut(key, value) {
    return store("meta", "readwrite", function (s) { return s.put(value, key); });
  }
  function outboxAll() { return store("outbox", "readonly", function (s) { return s.getAll(); }); }
  function outboxPut(item) {
    return store("outbox", "readwrite", function (s) { return s.put(item); });
  }
  function outboxDelete(keys) {
    return store("outbox", "readwrite", function (s) { keys.forEach(function (k) { s.delete(k); }); });
  }

  // --------------------------------------------------------------------- helpers
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString(document.documentElement.lang || "id") : t("never"); }
  function inWindow(wo, moment) {
    if (!wo.contact_windows) return true; // no window for collection in this deployment
    var at = moment.getTime();
    return wo.contact_windows.some(function (w) {
      return Date.parse(w[0]) <= at && at < Date.parse(w[1]);
    });
  }
  function say(text, error) {
    var box = $("[data-app-message]");
    box.textContent = text;
    box.hidden = !text;
    box.className = "flash " + (error ? "flash-error" : "flash-success");
  }
  function position() {
    return new Promise(function (resolve) {
      if (!("geolocation" in navigator)) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (p) { resolve(p.coords); }, function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 }
      );
    });
  }

  // --------------------------------------------------------------------- rendering
  function billing(wo) {
    var b = wo.billing, dl = el("dl", null, { "class": "wo-billing", "data-testid": "billing" });
    function row(label, value, testid) {
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(el("dt", label));
      dl.appendChild(el("dd", value, testid ? { "data-testid": testid } : {}));
    }
    row(t("outstanding"), "Rp " + b.outstanding + " · " + b.days_past_due + " " + t("days"), "outstanding");
    row(t("account"), b.account_ref);
    row(t("bills"), b.bills);
    if (b.bills_owed && b.bills_owed.length) {
      row(t("periods"), b.bills_owed.map(function (line) {
        return line.period + " · Rp " + line.owed;
      }).join("; "), "bills-owed");
    }
    row(t("last-payment"), b.last_payment_on || "—");
    row(t("address"), (b.address || "—") + (b.address_incomplete ? " — " + t("incomplete") : ""));
    row(t("location"), b.location_source);
    if (b.promise_date) row(t("promise"), b.promise_date + " · Rp " + b.promise_amount, "promise");
    return dl;
  }

  function form(wo) {
    var fragment = $("[data-voc-template]").content.cloneNode(true);
    var f = fragment.querySelector("form");
    f.setAttribute("data-wo", wo.id);
    var warning = f.querySelector("[data-window-warning]");
    if (!inWindow(wo, new Date())) {
      warning.textContent = t("outside");
      warning.hidden = false;
    }
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      capture(wo, f);
    });
    return f;
  }

  function renderStops() {
    var list = $("[data-app-stops]");
    list.textContent = "";
    if (!state.day) { list.appendChild(el("li", t("nodata"))); return; }
    if (!state.day.work_orders.length) { list.appendChild(el("li", t("empty"))); return; }
    var waiting = {};
    state.outbox.forEach(function (item) { waiting[item.work_order_id] = true; });
    state.day.work_orders.forEach(function (wo) {
      var li = el("li", null, { "data-testid": "app-stop", "data-wo": wo.id });
      var card = el("article");
      var head = el("header");
      head.appendChild(el("strong", wo.customer));
      head.appendChild(document.createTextNode(" · " + wo.number + " · " + wo.status_label));
      if (waiting[wo.id]) head.appendChild(el("mark", " " + t("pending"), { "data-testid": "stop-pending" }));
      card.appendChild(head);
      card.appendChild(billing(wo));
      if (wo.navigate && wo.navigate.geo) {
        var nav = el("p");
        nav.appendChild(el("a", t("navigate"), { href: wo.navigate.geo, role: "button", "class": "small" }));
        nav.appendChild(document.createTextNode(" "));
        nav.appendChild(el("a", t("directions"), { href: wo.navigate.directions, target: "_blank", rel: "noopener" }));
        card.appendChild(nav);
      }
      var details = el("details");
      details.appendChild(el("summary", t("record")));
      details.appendChild(form(wo));
      card.appendChild(details);
      li.appendChild(card);
      list.appendChild(li);
    });
  }

  function renderStatus() {
    $("[data-net]").textContent = navigator.onLine ? t("online") : t("offline");
    root.setAttribute("data-online", navigator.onLine ? "1" : "0");
    var last = $("[data-last-sync]");
    last.textContent = when(state.lastSync);
    last.setAttribute("data-at", state.lastSync || "");
    $("[data-outbox-count]").textContent = String(state.outbox.length);
    root.setAttribute("data-outbox", String(state.outbox.length));
    var answers = $("[data-app-answers]");
    answers.textContent = "";
    state.answers.forEach(function (a) {
      var label = { APPLIED: t("applied"), CONFLICT: t("conflict"), REFUSED: t("refused") }[a.status] || a.status;
      var li = el("li", (a.number || "") + " · " + label + (a.message ? ": " + a.message : ""), {
        "data-testid": "sync-answer", "data-status": a.status, "data-code": a.code || "",
      });
      answers.appendChild(li);
    });
  }

  // Redrawn whenever a sync brought a new day (statuses and route order move on), not on
  // every render: a status line change must not reset the map under the agent's finger.
  var drawnDay = null;
  function renderMap() {
    var box = $("[data-field-map]");
    if (drawnDay === state.day || !state.day || !window.AmanahFieldMap || typeof L === "undefined") return;
    drawnDay = state.day;
    window.AmanahFieldMap.draw(box, state.day.map);
  }

  function render() { renderStatus(); renderStops(); renderMap(); }

  // --------------------------------------------------------------------- capture
  function capture(wo, f) {
    var data = new FormData(f);
    var now = new Date();
    position().then(function (coords) {
      var item = {
        key: newKey(),
        work_order_id: wo.id,
        number: wo.number,
        outcome: data.get("outcome"),
        note: data.get("note") || "",
        promise_date: data.get("promise_date") || null,
        promise_amount: data.get("promise_amount") || null,
        paid_amount: data.get("paid_amount") || null,
        position_confirmed: data.get("position_confirmed") === "on",
        captured_at: now.toISOString(),
        latitude: coords ? coords.latitude : null,
        longitude: coords ? coords.longitude : null,
        accuracy_m: coords ? coords.accuracy : null,
      };
      return outboxPut(item).then(function () {
        state.outbox.push(item);
        say(inWindow(wo, now) ? t("saved") : t("saved") + " " + t("outside"), !inWindow(wo, now));
        render();
        sync();
      });
    });
  }

  // --------------------------------------------------------------------- sync
  function fetchDay() {
    return fetch(root.getAttribute("data-day"), {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
    }).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (r.redirected || !json) throw new Error("session");
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (day) {
      state.csrf = day.csrf;
      delete day.csrf;
      state.day = day;
      return metaPut("day", day);
    });
  }

  function send() {
    var batch = state.outbox.slice(0, 100);
    if (!batch.length) return Promise.resolve();
    var payload = batch.map(function (item) {
      var copy = Object.assign({}, item);
      delete copy.number;
      return copy;
    });
    return fetch(root.getAttribute("data-sync"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": state.csrf },
      body: JSON.stringify({ results: payload }),
    }).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (r.redirected || !json) throw new Error("session");
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (body) {
      var numbers = {};
      batch.forEach(function (item) { numbers[item.key] = item.number; });
      var answered = body.results.filter(function (a) { return a.key && numbers[a.key] !== undefined; });
      answered.forEach(function (a) { a.number = numbers[a.key]; });
      state.answers = answered.concat(state.answers).slice(0, 50);
      var keys = answered.map(function (a) { return a.key; });
      state.outbox = state.outbox.filter(function (item) { return keys.indexOf(item.key) < 0; });
      return outboxDelete(keys).then(function () { return metaPut("answers", state.answers); });
    });
  }

  function sync() {
    // A sync asked for while one runs (the worker taking control of the page during the first
    // sync, say) runs once more after it: its fetch must go through the worker to be kept.
    if (state.syncing) { state.syncAgain = true; return Promise.resolve(); }
    if (!navigator.onLine) { renderStatus(); return Promise.resolve(); }
    state.syncing = true;
    root.setAttribute("data-syncing", "1");
    var hadResults = state.outbox.length > 0;
    return fetchDay()
      .then(send)
      .then(function () { return hadResults ? fetchDay() : null; }) // statuses moved on
      .then(function () {
        state.lastSync = new Date().toISOString();
        if (hadResults) say("", false);
        return metaPut("lastSync", state.lastSync);
      })
      .catch(function (error) {
        say(error && error.message === "session" ? t("session") : t("failed"), true);
      })
      .then(function () {
        state.syncing = false;
        root.removeAttribute("data-syncing");
        render();
        if (state.syncAgain) { state.syncAgain = false; return sync(); }
      });
  }

  // --------------------------------------------------------------------- start
  function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: root.getAttribute("data-scope") })
        .catch(function () { /* the app still works online without it */ });
      // once installed, fetch the day again through the worker, which keeps a copy of it
      navigator.serviceWorker.addEventListener("controllerchange", function () { sync(); });
    }
    Promise.all([metaGet("day"), outboxAll(), metaGet("lastSync"), metaGet("answers")])
      .then(function (kept) {
        state.day = kept[0] || null;
        state.outbox = kept[1] || [];
        state.lastSync = kept[2] || null;
        state.answers = kept[3] || [];
        render();
        root.setAttribute("data-ready", "1");
        return sync();
      });
    window.addEventListener("online", function () { sync(); });
    window.addEventListener("offline", renderStatus);
    $("[data-sync-now]").addEventListener("click", function () { sync(); });
    setInterval(function () { if (state.outbox.length) sync(); else renderStatus(); }, RETRY_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
