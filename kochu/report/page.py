"""The dashboard page (``GET /``): one HTML document, style and script inline, no external URL.

The script lists scenarios, shows each intervention's magnitudes as editable numbers, posts
``/api/run`` and polls ``/api/jobs/ID`` every half second for the progress bar, then shows the
run's maps and charts (PNG files written by the report builder) and links the full report.
"""

from __future__ import annotations

from kochu.report.html import CSS, ICON

_DASH_CSS = """
.controls{display:grid;grid-template-columns:max-content 1fr;gap:8px 14px;align-items:center;
background:#fff;border:1px solid #ddd;padding:14px;max-width:760px}
.controls label{font-weight:bold;font-size:13px}
#interventions table{font-size:13px}#interventions input{width:90px}
#status{margin:14px 0;font-size:14px}progress{width:360px;height:16px;vertical-align:middle}
button{font-size:14px;padding:6px 18px;background:#1f3b57;color:#fff;border:0;cursor:pointer}
button:disabled{background:#999;cursor:default}
.error{color:#b00020}
"""

_SCRIPT = r"""
'use strict';
const $ = (id) => document.getElementById(id);
let scenarios = [];

function text(tag, value) { const el = document.createElement(tag); el.textContent = value; return el; }

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json();
  if (!res.ok) { throw new Error(body.error || res.statusText); }
  return body;
}

function showError(message) { const s = $('status'); s.className = 'error'; s.textContent = message; }

function renderInterventions(items) {
  const box = $('interventions');
  box.replaceChildren();
  if (!items.length) { box.append(text('span', 'this scenario has no interventions of its own')); return; }
  const table = document.createElement('table');
  const head = document.createElement('tr');
  ['#', 'intervention', 'places', 'from', 'to', 'magnitudes'].forEach((h) => head.append(text('th', h)));
  table.append(head);
  items.forEach((it) => {
    const row = document.createElement('tr');
    row.append(text('td', String(it.index)));
    row.append(text('td', String(it.label || it.type || 'intervention')));
    let places = it.places || '';
    if (it.routes) { places = it.routes.map((r) => r.join(' → ')); }
    row.append(text('td', Array.isArray(places) ? places.join(', ') : String(places)));
    row.append(text('td', it.start === undefined ? '' : String(it.start)));
    row.append(text('td', it.end === undefined || it.end === null ? 'open' : String(it.end)));
    const cell = document.createElement('td');
    Object.entries(it.magnitudes || {}).forEach(([key, value]) => {
      const label = text('label', key + ' ');
      const input = document.createElement('input');
      input.type = 'number'; input.step = 'any'; input.className = 'magnitude';
      input.dataset.index = String(it.index); input.dataset.key = key;
      input.id = 'magnitude-' + it.index + '-' + key; input.value = String(value);
      label.append(input); cell.append(label, document.createElement('br'));
    });
    row.append(cell); table.append(row);
  });
  box.append(table);
}

function selectScenario() {
  const s = scenarios.find((x) => x.file === $('scenario').value);
  $('description').textContent = s ? (s.error || s.description || '') : '';
  if (s && s.horizon) { $('until').value = String(s.horizon); }
  renderInterventions(s && s.interventions ? s.interventions : []);
}

function showFigures(job) {
  const box = $('figures');
  box.replaceChildren();
  let section = '';
  job.figures.forEach((f) => {
    if (f.section !== section) { section = f.section; box.append(text('h2', section)); }
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = f.png; img.alt = f.name; img.className = 'chart'; img.id = 'fig-' + f.name;
    fig.append(img);
    const cap = document.createElement('figcaption');
    const link = document.createElement('a'); link.href = f.svg; link.textContent = 'SVG';
    cap.append(text('b', f.title + '. '), text('span', f.caption + ' '), link);
    fig.append(cap); box.append(fig);
  });
  const rep = $('report-link');
  rep.href = job.report; rep.hidden = false;
}

async function poll(id) {
  try {
    const job = await api('/api/jobs/' + encodeURIComponent(id));
    $('bar').value = job.progress;
    $('status').className = '';
    $('status').textContent = (job.state === job.message ? job.state : job.state + ': ' + job.message) +
      ' (' + Math.round(100 * job.progress) + '%)';
    if (job.state === 'done') {
      showFigures(job); $('run').disabled = false; document.body.dataset.state = 'done'; loadEarlier(); return;
    }
    if (job.state === 'failed') { showError('run failed: ' + job.message); $('run').disabled = false; document.body.dataset.state = 'failed'; return; }
    setTimeout(() => poll(id), 500);
  } catch (err) { showError(String(err.message || err)); $('run').disabled = false; }
}

async function run() {
  const magnitudes = {};
  document.querySelectorAll('input.magnitude').forEach((el) => {
    if (el.value === '') { return; }
    const changes = magnitudes[el.dataset.index] || {};
    changes[el.dataset.key] = Number(el.value);
    magnitudes[el.dataset.index] = changes;
  });
  const body = {
    file: $('scenario').value, magnitudes: magnitudes, scale: Number($('scale').value),
    seed: parseInt($('seed').value, 10), until: parseInt($('until').value, 10),
  };
  $('run').disabled = true; $('figures').replaceChildren(); $('report-link').hidden = true;
  document.body.dataset.state = 'running';
  try {
    const job = await api('/api/run', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    document.body.dataset.job = job.id;
    poll(job.id);
  } catch (err) { showError(String(err.message || err)); $('run').disabled = false; document.body.dataset.state = 'failed'; }
}

async function loadEarlier() {
  try {
    const data = await api('/api/runs');
    const sel = $('earlier');
    sel.replaceChildren(text('option', '—'));
    data.runs.forEach((r) => { const o = text('option', r.id); o.value = r.id; sel.append(o); });
    sel.onchange = () => {
      const r = data.runs.find((x) => x.id === sel.value);
      if (r) { showFigures(r); }
    };
  } catch (err) { showError('could not list earlier runs: ' + String(err.message || err)); }
}

async function init() {
  loadEarlier();
  try {
    const data = await api('/api/scenarios');
    scenarios = data.scenarios;
    const sel = $('scenario');
    scenarios.forEach((s) => { const o = text('option', s.name || s.file); o.value = s.file; sel.append(o); });
    data.scales.forEach((v) => { const o = text('option', String(v)); o.value = String(v); $('scale').append(o); });
    $('scale').value = '0.001';
    selectScenario();
    document.body.dataset.state = 'ready';
  } catch (err) { showError('could not list scenarios: ' + String(err.message || err)); }
}

$('scenario').addEventListener('change', selectScenario);
$('run').addEventListener('click', run);
init();
"""

INDEX = (
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    f"{ICON}<title>kochu dashboard</title><style>{CSS}{_DASH_CSS}</style></head>"
    "<body data-state=\"loading\"><header><h1>kochu dashboard</h1>"
    "<dl><dt>runs on</dt><dd>this computer only</dd></dl></header><main>"
    "<div class=\"controls\">"
    "<label for=\"scenario\">scenario</label><select id=\"scenario\"></select>"
    "<span></span><span id=\"description\"></span>"
    "<label>interventions</label><div id=\"interventions\"></div>"
    "<label for=\"scale\">scale (share of people simulated)</label><select id=\"scale\"></select>"
    "<label for=\"seed\">seed</label><input id=\"seed\" type=\"number\" value=\"1\" min=\"0\">"
    "<label for=\"until\">until (year)</label>"
    "<input id=\"until\" type=\"number\" value=\"2025\" min=\"1990\" max=\"2050\">"
    "<span></span><div><button id=\"run\">Run</button></div>"
    "<label for=\"earlier\">or show an earlier run</label><select id=\"earlier\"></select></div>"
    "<div><progress id=\"bar\" max=\"1\" value=\"0\"></progress> <span id=\"status\">ready</span> "
    "<a id=\"report-link\" hidden>open the full report</a></div>"
    "<div id=\"figures\"></div></main>"
    f"<script>{_SCRIPT}</script></body></html>\n"
)
