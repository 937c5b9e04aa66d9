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
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
    throw new Error(response.status + ": " + detail);
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

refresh();
if (document.getElementById("live")) setInterval(refresh, 1000);
if (document.getElementById("registrations")) setInterval(tick, 1000);
