// TAS console: fills the server-rendered page shells from the admin API (/api), with the
// bearer token kept in this tab's sessionStorage. No framework, no build step.
"use strict";
const tokenBox = document.getElementById("token");
tokenBox.value = sessionStorage.getItem("tas-token") || "";
tokenBox.addEventListener("change", () => { sessionStorage.setItem("tas-token", tokenBox.value); refresh(); });
const status = (text) => { document.getElementById("status").textContent = text; };

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + tokenBox.value }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let problem = { detail: response.statusText };
    try { problem = await response.json(); } catch (e) { /* not JSON */ }
    throw Object.assign(new Error(response.status + ": " + problem.detail), { field: problem.field });
  }
  return response;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text == null ? "-" : String(text);
  if (cls) td.className = cls;
  return td;
}

function link(row, text, href) {
  const a = document.createElement("a");
  a.href = href; a.textContent = text;
  row.insertCell().appendChild(a);
}

const pages = {
  async live() {
    const calls = await (await api("/api/calls/live")).json();
    const body = document.querySelector("#live tbody");
    body.replaceChildren();
    for (const c of calls) {
      const row = body.insertRow();
      row.dataset.id = c.id;
      link(row, c.id, "/console/calls/" + encodeURIComponent(c.id));
      for (const v of [c.state, c.route, c.caller, c.callee, c.action]) cell(row, v);
      const button = document.createElement("button");
      button.textContent = "hang up";
      button.onclick = () => api("/api/calls/live/" + encodeURIComponent(c.id) + "/hangup", { method: "POST" });
      row.insertCell().appendChild(button);
    }
    const recent = await (await api("/api/calls/timelines?minutes=60&limit=20")).json();
    const rbody = document.querySelector("#recent tbody");
    rbody.replaceChildren();
    for (const t of recent) {
      const row = rbody.insertRow();
      const key = t.legs.length ? t.legs[0].sip_call_id : t.id;
      row.dataset.id = key;
      link(row, t.id, "/console/calls/" + encodeURIComponent(key));
      for (const v of [t.started.slice(0, 19), t.caller, t.callee, t.outcome]) cell(row, v);
    }
  },
  async ladder() {
    const key = document.getElementById("ladder").dataset.key;
    const t = await (await api("/api/calls/timelines/" + encodeURIComponent(key))).json();
    document.getElementById("summary").textContent =
      `${t.caller || "?"} -> ${t.callee || "?"}, route ${t.route || "-"}, outcome ${t.outcome}`;
    drawWire(t.messages);
    const body = document.querySelector("#ladder tbody");
    body.replaceChildren();
    const start = Date.parse(t.started);
    for (const e of t.entries) {
      const row = body.insertRow();
      row.className = "entry " + e.source;
      cell(row, ((Date.parse(e.at) - start) / 1000).toFixed(3));
      const core = e.source === "core";
      cell(row, core ? e.kind + (e.detail ? " " + e.detail : "") : "", "core");
      cell(row, core ? "--" + e.kind + "-->" : "<--" + e.kind + "--", "arrow");
      cell(row, core ? "" : e.kind + (e.detail ? " " + e.detail : ""), "tas");
    }
  },
  async registrations() {
    const rows = await (await api("/api/registrations")).json();
    const body = document.querySelector("#registrations tbody");
    body.replaceChildren();
    const loaded = Date.now() / 1000;
    for (const r of rows) {
      const row = body.insertRow();
      for (const v of [r.number, r.registered_route || r.desired_route, r.registered_uri || r.desired_uri]) cell(row, v);
      const ttl = cell(row, "", "ttl");
      ttl.dataset.expires = r.ttl == null ? "" : String(loaded + r.ttl);
      cell(row, r.last_error);
    }
    tick();
  },
  async inbox() {
    const messages = await (await api("/api/voicemail")).json();
    const body = document.querySelector("#inbox tbody");
    body.replaceChildren();
    for (const m of messages) {
      const row = body.insertRow();
      row.dataset.id = m.id;
      for (const v of [m.mailbox, m.caller, m.created.slice(0, 19), m.duration.toFixed(1)]) cell(row, v);
      const audio = document.createElement("audio");
      audio.controls = true; audio.preload = "auto"; audio.id = "audio-" + m.id;
      row.insertCell().appendChild(audio);
      // an <audio src> cannot send the bearer token: fetch the WAV, play it from a blob URL
      api("/api/voicemail/" + m.id + "/audio").then((r) => r.blob()).then((b) => { audio.src = URL.createObjectURL(b); });
    }
  },
};

const SVG = "http://www.w3.org/2000/svg";
function svgAdd(parent, tag, attrs, text) {
  const node = parent.appendChild(document.createElementNS(SVG, tag));
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

function drawWire(messages) {  // the ladder: one column per peer and the TAS, one arrow per message
  const svg = document.getElementById("wire");
  svg.replaceChildren();
  if (!messages.length) return;
  const peers = [...new Set(messages.map((m) => m.peer))];
  const cols = [peers[0], "TAS", ...peers.slice(1)];
  const x = (name) => 100 + cols.indexOf(name) * 240, start = Date.parse(messages[0].at);
  const height = 60 + messages.length * 26;
  svg.setAttribute("width", x(cols[cols.length - 1]) + 100);
  svg.setAttribute("height", height);
  for (const c of cols) {
    svgAdd(svg, "text", { x: x(c), y: 16, "text-anchor": "middle", class: "column" }, c);
    svgAdd(svg, "line", { x1: x(c), y1: 24, x2: x(c), y2: height, class: "life" });
  }
  messages.forEach((m, i) => {
    const [from, to] = m.direction === "in" ? [m.peer, "TAS"] : ["TAS", m.peer];
    const cseq = (m.headers.find((h) => h[0] === "CSeq") || ["", ""])[1];
    const y = 50 + i * 26, g = svgAdd(svg, "g", { class: "msg", "data-label": m.label, "data-cseq": cseq, "data-from": from, "data-to": to });
    svgAdd(g, "title", {}, [m.first_line, ...m.headers.map((h) => h.join(": "))].join("\n"));
    svgAdd(g, "text", { x: 4, y: y, class: "at" }, "+" + ((Date.parse(m.at) - start) / 1000).toFixed(3));
    svgAdd(g, "line", { x1: x(from), y1: y, x2: x(to), y2: y, "marker-end": "url(#head)" });
    svgAdd(g, "text", { x: (x(from) + x(to)) / 2, y: y - 4, "text-anchor": "middle", class: "label" },
      m.label + " " + m.transport);
  });
  const defs = svgAdd(svg, "defs", {});
  const head = svgAdd(defs, "marker", { id: "head", markerWidth: 8, markerHeight: 8, refX: 8, refY: 4, orient: "auto" });
  svgAdd(head, "path", { d: "M0,0 L8,4 L0,8 z" });
}

const rules = {  // the rules page: [[rule]] tables as JSON, edited in place, saved as a whole
  list: () => [...document.querySelectorAll("#rules li")],
  row(table) {
    const li = document.createElement("li");
    const text = li.appendChild(document.createElement("textarea"));
    text.rows = 4; text.cols = 70; text.value = JSON.stringify(table, null, 1);
    for (const [name, act] of [["up", () => li.previousElementSibling && li.after(li.previousElementSibling)],
      ["down", () => li.nextElementSibling && li.before(li.nextElementSibling)], ["delete", () => li.remove()]]) {
      const b = li.appendChild(document.createElement("button"));
      b.textContent = name; b.type = "button"; b.className = name; b.onclick = act;
    }
    li.appendChild(document.createElement("div")).className = "error";
    document.getElementById("rules").appendChild(li);
  },
  async load() {
    const number = document.getElementById("rules-number").value;
    document.getElementById("rules").replaceChildren();
    for (const t of await (await api("/api/rules/" + encodeURIComponent(number))).json()) rules.row(t);
  },
  async save() {
    const number = document.getElementById("rules-number").value, result = document.getElementById("rules-result");
    for (const e of document.querySelectorAll("#rules .error")) e.textContent = "";
    result.textContent = "";
    try {
      const body = rules.list().map((li, i) => {
        try { return JSON.parse(li.querySelector("textarea").value); }
        catch (e) { throw Object.assign(new Error("not JSON: " + e.message), { field: `rules[${i}]` }); }
      });
      await api("/api/rules/" + encodeURIComponent(number), { method: "PUT", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
      await rules.load();
      result.textContent = "saved";
    } catch (e) {
      const at = /^rules\[(\d+)\]/.exec(e.field || ""), li = at && rules.list()[Number(at[1])];
      (li ? li.querySelector(".error") : result).textContent = (e.field ? e.field + ": " : "") + e.message;
    }
  },
};

function tick() {  // the TTL column counts down without reload
  for (const td of document.querySelectorAll("td.ttl")) {
    const expires = Number(td.dataset.expires);
    td.textContent = td.dataset.expires ? Math.max(0, Math.round(expires - Date.now() / 1000)) + " s" : "-";
  }
}

async function refresh() {
  if (!tokenBox.value) { status("enter a token"); return; }
  try {
    if (document.getElementById("live")) await pages.live();
    if (document.getElementById("ladder")) await pages.ladder();
    if (document.getElementById("registrations")) await pages.registrations();
    if (document.getElementById("inbox") && !document.querySelector("#inbox audio")) await pages.inbox();
    if (document.getElementById("rules") && !rules.list().length) await rules.load();
    status("");
  } catch (e) { status(String(e.message || e)); }
}

const form = document.getElementById("greeting");
if (form) form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const file = data.get("file");
  const path = "/api/voicemail/greetings/" + encodeURIComponent(data.get("number")) + "/" + data.get("kind");
  const result = document.getElementById("greeting-result");
  try {
    await api(path, { method: "PUT", body: await file.arrayBuffer(), headers: { "Content-Type": "application/octet-stream" } });
    result.textContent = "greeting set";
  } catch (e) { result.textContent = String(e.message || e); }
});

if (document.getElementById("rules")) {
  document.getElementById("rules-load").onclick = () => rules.load().catch((e) => status(e.message));
  document.getElementById("rules-add").onclick = () => rules.row({ action: "dnd" });
  document.getElementById("rules-save").onclick = rules.save;
}

refresh();
if (document.getElementById("live")) setInterval(refresh, 1000);
if (document.getElementById("registrations")) setInterval(tick, 1000);
