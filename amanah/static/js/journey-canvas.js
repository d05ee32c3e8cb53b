// The journey canvas (drawflow). The server owns the graph: this script only draws the
// version's graph ({nodes: [{key, type, label, config, x, y}], edges: [{source, target,
// label}]}), lets a DRAFT's author change it (drag from the palette, connect ports, a node's
// configuration form, undo/redo over snapshots of that JSON) and posts the whole graph to the
// same save service as the list editor; a refusal is shown with each problem's node named and
// that node marked. Read-only on a version's page, with the per-node counts drawn on the nodes.
(function () {
  "use strict";

  const source = document.getElementById("journey-canvas-data");
  const root = document.querySelector("[data-testid=journey-canvas]");
  if (!source || !root || typeof Drawflow === "undefined") return;
  const data = JSON.parse(source.textContent);
  const T = data.text;
  const choices = data.choices || {};
  const typeLabels = Object.fromEntries(data.types);
  const board = root.querySelector(".jc-board");
  const panel = root.querySelector(".jc-panel");
  const statusBox = root.querySelector("[data-testid=canvas-status]");
  const problemsBox = root.querySelector("[data-testid=canvas-problems]");
  const PREFIX = { TRIGGER: "t", WAIT: "w", ACTION: "a", BRANCH: "b", SPLIT: "s", UPDATE: "u", END: "e" };
  const DEFAULTS = {
    TRIGGER: () => ({ type: "SEGMENT", segment: "" }),
    WAIT: () => ({ mode: "DURATION", value: 1, unit: "DAYS" }),
    ACTION: () => ({ channel: "WHATSAPP", template: "" }),
    BRANCH: () => ({ condition: { kind: "clicked", node: "" } }),
    SPLIT: () => ({ variants: [{ name: "A", percentage: 50 }, { name: "B", percentage: 50 }] }),
    UPDATE: () => ({ kind: "tag", tag: "" }),
    END: () => ({ reason: "FINISHED" }),
  };
  const UNITS = ["MINUTES", "HOURS", "DAYS"];

  const editor = new Drawflow(board);
  editor.reroute = false;
  editor.zoom_min = 0.3;
  editor.editor_mode = data.editable ? "edit" : "fixed";
  editor.start();

  let quiet = false; // true while the graph is being drawn from a snapshot
  let undo = [];
  let redo = [];
  let current = null; // the last snapshot (JSON text)

  // ------------------------------------------------------------------ helpers

  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(text) {
    // For text and attribute values alike (a key typed in the form is not validated yet).
    return (text == null ? "" : String(text)).replace(/[&<>"']/g, (c) => ENTITIES[c]);
  }

  function say(text, isError) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.hidden = !text;
    statusBox.classList.toggle("flash-error", Boolean(isError));
  }

  function outputsOf(node) {
    if (node.type === "END") return [];
    if (node.type === "BRANCH") return ["YES", "NO"];
    if (node.type === "SPLIT") {
      const variants = (node.config && node.config.variants) || [];
      return variants.length ? variants.map((v) => String(v.name)) : ["A", "B"];
    }
    return [""];
  }

  function summary(node) {
    const c = node.config || {};
    switch (node.type) {
      case "TRIGGER":
        if (c.type === "EVENT") return c.event || "";
        if (c.type === "API") return "API";
        if (c.type === "SCHEDULE") return `${c.at || "?"} · ${labelOf(choices.segments, c.segment) || c.segment || ""}`;
        return labelOf(choices.segments, c.segment) || c.segment || "";
      case "WAIT":
        if (c.mode === "DURATION") return `${c.value || "?"} ${c.unit || ""}`;
        if (c.mode === "UNTIL_DATE") return c.date || "";
        return `${c.event || ""} ≤ ${c.timeout_value || "?"} ${c.timeout_unit || ""}`;
      case "ACTION":
        return `${c.channel || ""} · ${c.template || ""}`;
      case "BRANCH": {
        const k = (c.condition || {}).kind || "";
        const cond = c.condition || {};
        return `${k}? ${cond.node || cond.channel || (cond.segments || []).join(",") || cond.field || ""}`;
      }
      case "SPLIT": {
        const shares = (c.variants || []).map((v) => `${v.name} ${v.percentage}%`).join(" / ");
        const test = c.test || {};
        return test.metric ? `${shares} · A/B ${test.metric}${test.sample_size ? ` n=${test.sample_size}` : ""}` : shares;
      }
      case "UPDATE":
        return c.kind === "field" ? `${c.field || ""} = ${c.value || ""}` : `tag: ${c.tag || ""}`;
      case "END":
        return labelOf(choices.end_reasons, c.reason) || c.reason || "";
      default:
        return "";
    }
  }

  function labelOf(list, value) {
    const found = (list || []).find((o) => o.value === value);
    return found ? found.label : "";
  }

  function nodeHtml(node) {
    const counts = data.counts && data.counts[node.key];
    let html =
      `<div data-node="${esc(node.key)}" data-testid="canvas-node-${esc(node.key)}">` +
      `<span class="jc-type">${esc(typeLabels[node.type] || node.type)}</span> ` +
      `<span class="jc-key">${esc(node.key)}</span>` +
      (node.label ? ` <span>${esc(node.label)}</span>` : "") +
      `<span class="jc-summary">${esc(summary(node))}</span>`;
    if (counts) {
      html += '<span class="jc-counts">';
      for (const name of ["entered", "waiting", "passed", "exited"]) {
        html += `<span data-count="${name}" title="${esc(T[name])}">${esc(T[name])} ${Number(counts[name]) || 0}</span>`;
      }
      html += "</span>";
    }
    return html + "</div>";
  }

  function labelPorts(id, node) {
    const element = document.getElementById(`node-${id}`);
    if (!element) return;
    outputsOf(node).forEach((name, i) => {
      const port = element.querySelector(`.outputs .output_${i + 1}`);
      if (!port) return;
      const shown = name === "YES" ? T.yes : name === "NO" ? T.no : name;
      if (shown) {
        port.dataset.label = shown;
        port.title = shown;
      }
    });
  }

  function nodes() {
    return editor.export().drawflow.Home.data;
  }

  function idOf(key) {
    const all = nodes();
    return Object.keys(all).find((id) => all[id].data.key === key);
  }

  // ------------------------------------------------------------------ graph ⇄ canvas

  function toGraph() {
    const all = nodes();
    const ids = Object.keys(all).sort((a, b) => Number(a) - Number(b));
    const graph = { nodes: [], edges: [] };
    for (const id of ids) {
      const n = all[id];
      const node = n.data;
      graph.nodes.push({
        key: node.key,
        type: node.type,
        label: node.label || "",
        config: node.config || {},
        x: Math.round(n.pos_x),
        y: Math.round(n.pos_y),
      });
      const ways = outputsOf(node);
      Object.keys(n.outputs).forEach((port) => {
        const index = Number(port.split("_")[1]) - 1;
        for (const c of n.outputs[port].connections) {
          const target = all[c.node];
          if (target) graph.edges.push({ source: node.key, target: target.data.key, label: ways[index] || "" });
        }
      });
    }
    return graph;
  }

  function autoLayout(graph) {
    // Nodes made in the list editor have no place yet: lay them out by depth from the trigger.
    const spread = new Set(graph.nodes.map((n) => `${n.x},${n.y}`));
    if (spread.size > 1 || graph.nodes.length < 2) return;
    const out = {};
    graph.edges.forEach((e) => (out[e.source] = out[e.source] || []).push(e.target));
    const depth = {};
    const start = graph.nodes.find((n) => n.type === "TRIGGER") || graph.nodes[0];
    const queue = [start.key];
    depth[start.key] = 0;
    while (queue.length) {
      const key = queue.shift();
      for (const next of out[key] || []) {
        if (depth[next] === undefined) {
          depth[next] = depth[key] + 1;
          queue.push(next);
        }
      }
    }
    const rows = {};
    graph.nodes.forEach((n) => {
      const d = depth[n.key] === undefined ? 0 : depth[n.key];
      rows[d] = (rows[d] || 0) + 1;
      n.x = 40 + d * 230;
      n.y = 40 + (rows[d] - 1) * 130;
    });
  }

  function addNode(node) {
    const ways = outputsOf(node);
    const id = editor.addNode(
      node.type,
      node.type === "TRIGGER" ? 0 : 1,
      ways.length,
      node.x || 0,
      node.y || 0,
      `jc-node jc-${node.type.toLowerCase()}`,
      { key: node.key, type: node.type, label: node.label || "", config: node.config || {} },
      nodeHtml(node),
    );
    labelPorts(id, node);
    return id;
  }

  function draw(graph) {
    quiet = true;
    try {
      editor.clear();
      const ids = {};
      for (const node of graph.nodes) ids[node.key] = addNode(node);
      const byKey = Object.fromEntries(graph.nodes.map((n) => [n.key, n]));
      for (const e of graph.edges) {
        const from = byKey[e.source];
        if (!from || ids[e.target] === undefined) continue;
        const index = outputsOf(from).indexOf(e.label || "");
        if (index < 0) continue;
        editor.addConnection(ids[e.source], ids[e.target], `output_${index + 1}`, "input_1");
      }
    } finally {
      quiet = false;
    }
  }

  // ------------------------------------------------------------------ history

  function buttons() {
    const u = root.querySelector("[data-do=undo]");
    const r = root.querySelector("[data-do=redo]");
    if (u) u.disabled = !undo.length;
    if (r) r.disabled = !redo.length;
  }

  let pending = false;

  function changed() {
    // Several drawflow events make one change (a node removed with its connections): the
    // snapshot is taken once, after them.
    if (quiet || pending) return;
    pending = true;
    setTimeout(snapshot, 0);
  }

  function snapshot() {
    pending = false;
    const now = JSON.stringify(toGraph());
    if (now === current) return;
    if (current !== null) undo.push(current);
    if (undo.length > 100) undo.shift();
    redo = [];
    current = now;
    buttons();
  }

  function step(from, to) {
    if (!from.length) return;
    to.push(current);
    current = from.pop();
    closePanel();
    draw(JSON.parse(current));
    buttons();
  }

  // ------------------------------------------------------------------ editing

  function freshKey(type) {
    const taken = new Set(Object.values(nodes()).map((n) => n.data.key));
    let n = 1;
    while (taken.has(`${PREFIX[type]}${n}`)) n += 1;
    return `${PREFIX[type]}${n}`;
  }

  function boardPoint(clientX, clientY) {
    const rect = editor.precanvas.getBoundingClientRect();
    return { x: Math.round((clientX - rect.x) / editor.zoom), y: Math.round((clientY - rect.y) / editor.zoom) };
  }

  function addFromPalette(type, point) {
    if (!DEFAULTS[type]) return;
    const box = board.getBoundingClientRect();
    const count = Object.keys(nodes()).length;
    const where = point || boardPoint(box.x + 30 + (count % 4) * 40, box.y + 30 + (count % 4) * 40);
    const node = { key: freshKey(type), type, label: "", config: DEFAULTS[type](), x: where.x, y: where.y };
    const id = addNode(node);
    snapshot();
    openPanel(id);
  }

  function rebuildNode(id, node) {
    // A node's html and ports follow its configuration: redraw the whole graph from the
    // snapshot with the node replaced (keeps the connections whose labels still exist).
    const graph = toGraph();
    const old = nodes()[id].data.key;
    graph.nodes = graph.nodes.map((n) => (n.key === old ? { ...n, key: node.key, label: node.label, config: node.config } : n));
    graph.edges = graph.edges.map((e) => ({
      ...e,
      source: e.source === old ? node.key : e.source,
      target: e.target === old ? node.key : e.target,
    }));
    draw(graph);
    snapshot();
    return idOf(node.key);
  }

  // ------------------------------------------------------------------ configuration panel

  const FIELDS = {
    TRIGGER: [
      { path: "type", options: () => opts(["SEGMENT", "EVENT", "SCHEDULE", "API"]) },
      { path: "segment", options: () => choices.segments, when: (c) => ["SEGMENT", "SCHEDULE"].includes(c.type) },
      { path: "event", options: () => choices.trigger_events, when: (c) => c.type === "EVENT" },
      { path: "at", when: (c) => c.type === "SCHEDULE" },
      { path: "repeat", options: () => opts(["NONE", "DAILY", "WEEKLY", "MONTHLY"]), when: (c) => c.type === "SCHEDULE" },
      { path: "reentry", options: () => opts(["NEVER", "AFTER_END"]) },
      { path: "cooldown_days", number: true, when: (c) => c.reentry === "AFTER_END" },
    ],
    WAIT: [
      { path: "mode", options: () => opts(["DURATION", "UNTIL_DATE", "UNTIL_EVENT"]) },
      { path: "value", number: true, when: (c) => c.mode === "DURATION" },
      { path: "unit", options: () => opts(UNITS), when: (c) => c.mode === "DURATION" },
      { path: "date", when: (c) => c.mode === "UNTIL_DATE" },
      { path: "event", options: () => choices.wait_events, when: (c) => c.mode === "UNTIL_EVENT" },
      { path: "timeout_value", number: true, when: (c) => c.mode === "UNTIL_EVENT" },
      { path: "timeout_unit", options: () => opts(UNITS), when: (c) => c.mode === "UNTIL_EVENT" },
    ],
    ACTION: [
      { path: "channel", options: () => opts(choices.channels || []) },
      {
        path: "template",
        options: (c) => (choices.templates || []).filter((t) => t.channel === c.channel),
      },
      { path: "promo_code" },
    ],
    BRANCH: [
      { path: "condition.kind", options: () => opts(["opened", "clicked", "rfm", "consent", "attribute"]) },
      {
        path: "condition.node",
        options: () => opts(Object.values(nodes()).filter((n) => n.data.type === "ACTION").map((n) => n.data.key)),
        when: (c) => ["opened", "clicked"].includes((c.condition || {}).kind),
      },
      { path: "condition.segments", list: true, hint: T.segments_hint, when: (c) => (c.condition || {}).kind === "rfm" },
      { path: "condition.channel", options: () => opts(choices.channels || []), when: (c) => (c.condition || {}).kind === "consent" },
      { path: "condition.field", when: (c) => (c.condition || {}).kind === "attribute" },
      { path: "condition.op", options: () => opts(["eq", "ne", "in", "gte", "lte"]), when: (c) => (c.condition || {}).kind === "attribute" },
      { path: "condition.value", json: true, hint: T.value_hint, when: (c) => (c.condition || {}).kind === "attribute" },
    ],
    SPLIT: [
      { path: "variants", variants: true, hint: T.variants_hint },
      // The A/B plan (journeys.abtest): no metric, no test. The sample size is planned by
      // the server when the graph is saved and shown below the form.
      { path: "test.metric", options: () => opts(choices.ab_metrics || []) },
      { path: "test.dimension", options: () => opts(choices.ab_dimensions || []), when: planned },
      { path: "test.baseline", number: true, when: planned },
      { path: "test.lift", number: true, when: planned },
      { path: "test.min_hours", number: true, when: planned },
      { path: "test.window_hours", number: true, when: planned },
      { path: "test.auto_promote", bool: true, when: planned },
    ],
    UPDATE: [
      { path: "kind", label: "update_kind", options: () => opts(["tag", "field"]) },
      { path: "tag", when: (c) => c.kind !== "field" },
      { path: "field", options: () => choices.update_fields || [], when: (c) => c.kind === "field" },
      { path: "value", label: "update_value", hint: T.update_value_hint, when: (c) => c.kind === "field" },
    ],
    END: [{ path: "reason", options: () => choices.end_reasons }],
  };

  function planned(config) {
    return Boolean((config.test || {}).metric);
  }

  function opts(values) {
    return values.map((v) => ({ value: v, label: v }));
  }

  function get(config, path) {
    return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), config);
  }

  function set(config, path, value) {
    const parts = path.split(".");
    let o = config;
    for (const k of parts.slice(0, -1)) o = o[k] = o[k] && typeof o[k] === "object" ? o[k] : {};
    if (value === undefined) delete o[parts[parts.length - 1]];
    else o[parts[parts.length - 1]] = value;
  }

  function shown(field, value) {
    if (field.bool) return value === true ? "true" : value === false ? "false" : "";
    if (field.variants) return (value || []).map((v) => `${v.name}=${v.percentage}`).join(", ");
    if (field.list) return (value || []).join(", ");
    if (field.json) return value === undefined ? "" : JSON.stringify(value);
    return value == null ? "" : String(value);
  }

  function read(field, text) {
    if (field.bool) return text === "" ? undefined : text === "true";
    if (field.number) return text === "" ? undefined : Number(text);
    if (field.list) return text.split(/[\s,]+/).filter(Boolean);
    if (field.variants) {
      return text
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((part) => {
          const [name, share] = part.split("=");
          return { name, percentage: Number(share) };
        });
    }
    if (field.json) {
      if (text === "") return undefined;
      try {
        return JSON.parse(text);
      } catch (e) {
        return text;
      }
    }
    return text === "" ? undefined : text;
  }

  let editing = null; // the drawflow id of the node in the panel

  function input(name, labelText, value, options, hint) {
    const wrap = document.createElement("label");
    wrap.textContent = labelText;
    let control;
    if (options) {
      control = document.createElement("select");
      const blank = document.createElement("option");
      blank.value = "";
      blank.textContent = T.choose;
      control.append(blank);
      for (const o of options) {
        const option = document.createElement("option");
        option.value = o.value;
        option.textContent = o.label;
        control.append(option);
      }
      if (value && !options.some((o) => o.value === value)) {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        control.append(option);
      }
      control.value = value || "";
    } else {
      control = document.createElement("input");
      control.value = value;
      if (hint) control.placeholder = hint;
    }
    control.name = name;
    control.dataset.testid = `field-${name}`;
    wrap.append(control);
    return wrap;
  }

  function fillPanel(node) {
    const box = panel.querySelector(".jc-fields");
    box.replaceChildren(
      input("key", T.key, node.key),
      input("label", T.label, node.label || ""),
      ...FIELDS[node.type]
        .filter((f) => !f.when || f.when(node.config))
        .map((f) =>
          input(f.path, T.fields[f.label || f.path] || f.path, shown(f, get(node.config, f.path)), choicesOf(f, node.config), f.hint),
        ),
      ...planNote(node),
    );
    panel.querySelector("[data-testid=panel-key]").textContent = node.key;
  }

  function choicesOf(field, config) {
    if (field.bool) return [{ value: "false", label: T.no }, { value: "true", label: T.yes }];
    return field.options && field.options(config);
  }

  function planNote(node) {
    // The planned sample size per variant (computed by the server on save), or that it will be.
    const test = (node.config || {}).test;
    if (node.type !== "SPLIT" || !test || !test.metric) return [];
    const note = document.createElement("p");
    note.dataset.testid = "planned-sample-size";
    note.textContent = test.sample_size ? T.planned_sample.replace("%s", String(test.sample_size)) : T.planned_on_save;
    return [note];
  }

  function tidy(node) {
    // Only what the chosen kind uses goes to the server; an edited plan is planned again.
    const c = node.config;
    if (node.type === "SPLIT") {
      if (!planned(c)) delete c.test;
      else delete c.test.sample_size;
    }
    if (node.type === "UPDATE") {
      if (c.kind === "field") delete c.tag;
      else {
        delete c.field;
        delete c.value;
      }
    }
  }

  function panelNode() {
    const node = JSON.parse(JSON.stringify(nodes()[editing].data));
    for (const f of FIELDS[node.type]) {
      const control = panel.elements.namedItem(f.path);
      if (control) set(node.config, f.path, read(f, control.value.trim()));
    }
    tidy(node);
    node.key = panel.elements.namedItem("key").value.trim();
    node.label = panel.elements.namedItem("label").value.trim();
    return node;
  }

  function openPanel(id) {
    if (!panel || !nodes()[id]) return;
    editing = id;
    fillPanel(nodes()[id].data);
    panel.hidden = false;
  }

  function closePanel() {
    if (!panel) return;
    panel.hidden = true;
    editing = null;
  }

  if (panel) {
    // A choice that shows other fields (trigger type, wait mode, condition kind, channel)
    // redraws the form with what was typed so far.
    panel.addEventListener("change", (event) => {
      const redraws = ["type", "mode", "condition.kind", "channel", "kind", "test.metric"];
      if (editing === null || !redraws.includes(event.target.name)) return;
      const node = panelNode();
      fillPanel(node);
      panel.elements.namedItem("key").value = node.key;
    });
    panel.addEventListener("submit", (event) => {
      event.preventDefault();
      if (editing === null) return;
      const node = panelNode();
      const old = nodes()[editing].data.key;
      if (node.key !== old && idOf(node.key) !== undefined) {
        say(T.key_taken, true);
        return;
      }
      editing = rebuildNode(editing, node);
      fillPanel(nodes()[editing].data);
      say(T.applied);
    });
    panel.querySelector("[data-do=close]").addEventListener("click", closePanel);
    panel.querySelector("[data-do=delete]").addEventListener("click", () => {
      if (editing === null) return;
      editor.removeNodeId(`node-${editing}`);
      closePanel();
    });
  }

  // ------------------------------------------------------------------ saving

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : match ? decodeURIComponent(match[1]) : "";
  }

  function showProblems(problems, message) {
    root.querySelectorAll(".jc-error").forEach((n) => n.classList.remove("jc-error"));
    if (!problems.length && !message) {
      problemsBox.hidden = true;
      problemsBox.replaceChildren();
      return;
    }
    const head = document.createElement("p");
    head.textContent = T.refused;
    const list = document.createElement("ul");
    for (const p of problems.length ? problems : [{ node: "", field: "", message }]) {
      const item = document.createElement("li");
      item.dataset.node = p.node || "";
      item.textContent = p.node ? `${T.node} ${p.node}, ${p.field}: ${p.message}` : `${p.field ? p.field + ": " : ""}${p.message}`;
      list.append(item);
      const id = p.node ? idOf(p.node) : undefined;
      if (id !== undefined) document.getElementById(`node-${id}`).classList.add("jc-error");
    }
    problemsBox.replaceChildren(head, list);
    problemsBox.hidden = false;
  }

  async function save() {
    const body = new FormData();
    body.append("graph", JSON.stringify(toGraph()));
    say("");
    let response;
    try {
      response = await fetch(data.save, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (e) {
      say(T.failed, true);
      return;
    }
    let answer = {};
    try {
      answer = await response.json();
    } catch (e) {
      answer = {};
    }
    if (response.ok && answer.saved) {
      showProblems([], "");
      closePanel();
      if (answer.graph) {
        // The stored graph, as the server cleaned it (an A/B plan's sample size with it).
        draw(answer.graph);
        snapshot();
      }
      say(answer.message || T.saved);
      syncListEditor(answer);
      root.dataset.saved = String(Date.now());
      return;
    }
    showProblems(answer.problems || [], answer.message || T.failed);
  }

  // The keyboard list editor on the same page edits the same graph: after a canvas save its
  // rows are refilled from the server's answer (rows beyond the saved nodes are cleared; rows
  // are added when the graph has more nodes than the editor has rows).
  function syncListEditor(answer) {
    const form = document.querySelector("[data-testid=journey-editor]");
    if (!form || !answer.rows) return;
    const counter = form.querySelector("input[name=rows]");
    let rows = Number((counter || {}).value || 0);
    const body = form.querySelector("tbody");
    // More nodes than rows: add rows (a copy of the last one, its fields renumbered).
    while (body && body.rows.length && rows < answer.row_count + 1) {
      const copy = body.rows[body.rows.length - 1].cloneNode(true);
      for (const field of copy.querySelectorAll("input, select, textarea")) {
        field.name = field.name.replace(/_\d+$/, `_${rows}`);
        if (field.id) field.id = field.id.replace(/_\d+$/, `_${rows}`);
      }
      for (const list of copy.querySelectorAll(".errorlist")) list.remove();
      body.appendChild(copy);
      rows += 1;
    }
    if (counter) counter.value = String(rows);
    for (let i = 0; i < rows; i++) {
      for (const name of ["key", "type", "label", "config", "next"]) {
        const field = form.elements[`${name}_${i}`];
        if (field) field.value = answer.rows[`${name}_${i}`] || "";
      }
    }
    form.dataset.synced = String(Date.now());
  }

  // ------------------------------------------------------------------ wiring

  if (data.editable) {
    for (const name of ["nodeCreated", "nodeRemoved", "nodeMoved", "connectionCreated", "connectionRemoved"]) {
      editor.on(name, () => changed());
    }
    // One connection per way out: a new one from the same port replaces the old one.
    editor.on("connectionCreated", (c) => {
      if (quiet) return;
      const port = nodes()[c.output_id].outputs[c.output_class];
      for (const other of port.connections.slice(0, -1)) {
        editor.removeSingleConnection(c.output_id, other.node, c.output_class, other.output);
      }
    });
    editor.on("nodeSelected", (id) => openPanel(id));
    // A click on a node already selected (drawflow tells only of a new selection) opens it too.
    board.addEventListener("click", (event) => {
      const element = event.target.closest(".drawflow-node");
      if (element && !event.target.closest(".input, .output")) openPanel(element.id.slice(5));
    });
    root.querySelectorAll("[data-type]").forEach((tool) => {
      tool.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/plain", tool.dataset.type);
        event.dataTransfer.effectAllowed = "copy";
      });
      tool.addEventListener("click", () => addFromPalette(tool.dataset.type));
    });
    board.addEventListener("dragover", (event) => event.preventDefault());
    board.addEventListener("drop", (event) => {
      event.preventDefault();
      addFromPalette(event.dataTransfer.getData("text/plain"), boardPoint(event.clientX, event.clientY));
    });
    root.querySelector("[data-do=undo]").addEventListener("click", () => step(undo, redo));
    root.querySelector("[data-do=redo]").addEventListener("click", () => step(redo, undo));
    root.querySelector("[data-do=save]").addEventListener("click", save);
    document.addEventListener("keydown", (event) => {
      if (!(event.ctrlKey || event.metaKey) || event.target.closest("input, textarea, select")) return;
      if (event.key === "z" && !event.shiftKey) step(undo, redo);
      else if (event.key === "y" || (event.key === "z" && event.shiftKey)) step(redo, undo);
      else return;
      event.preventDefault();
    });
  }
  root.querySelector("[data-do=zoom-in]").addEventListener("click", () => editor.zoom_in());
  root.querySelector("[data-do=zoom-out]").addEventListener("click", () => editor.zoom_out());
  root.querySelector("[data-do=zoom-reset]").addEventListener("click", () => editor.zoom_reset());

  const graph = data.graph;
  autoLayout(graph);
  draw(graph);
  current = JSON.stringify(toGraph());
  buttons();
  // Test hooks (the browser test reads the graph the canvas would post).
  root.journeyGraph = toGraph;
  root.dataset.ready = "1";
})();
