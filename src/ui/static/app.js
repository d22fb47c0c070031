// aiopsd web page: vanilla JS, no build step, no third-party code. The token lives in sessionStorage
// (gone when the tab closes) and is sent as a bearer token; nothing is rendered with innerHTML.
const SVG_NS = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('aiopsd.token') || '';
let me = null;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function say(text, error = false) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

async function api(path, opts = {}) {
  const headers = { 'X-Aiopsd-Channel': 'web', ...(opts.body ? { 'Content-Type': 'application/json' } : {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { method: opts.method || 'GET', headers, body: opts.body ? JSON.stringify(opts.body) : undefined });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(`${body.code || res.status}: ${body.message || res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

async function login(newToken) {
  token = newToken;
  try {
    me = await api('/api/v1/whoami');
    if (token) sessionStorage.setItem('aiopsd.token', token);
    $('login').hidden = Boolean(token);
    $('session').hidden = !token;
    $('whoami').textContent = `${me.subject} (${me.role}, ${me.method})`;
    say(token ? `Logged in as ${me.subject}` : 'Read-only (anonymous viewer)');
    await refresh();
  } catch (err) {
    sessionStorage.removeItem('aiopsd.token');
    token = '';
    me = null;
    $('login').hidden = false;
    $('session').hidden = true;
    say(newToken ? `Login failed: ${err.message}` : 'Log in with an API token.', Boolean(newToken));
  }
}

function fmtTime(ms) {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function fmtNum(n) {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Number(n).toPrecision(3);
}

/** Inline SVG: observed line, expected (dashed), anomaly window shaded, anomalous points marked. */
function plot(series, window) {
  const W = 560, H = 170, L = 44, R = 8, T = 8, B = 20;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot', role: 'img', 'aria-label': `plot of ${series.metric}: observed vs expected` });
  const pts = series.observed;
  const all = [...pts.map((p) => p[1]), ...series.expected.map((p) => p[1])];
  const ts = [...pts.map((p) => p[0]), window.fromMs, window.toMs];
  if (all.length === 0) return root;
  let y0 = Math.min(...all), y1 = Math.max(...all);
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.08; y0 -= pad; y1 += pad;
  const t0 = Math.min(...ts), t1 = Math.max(...ts) === t0 ? t0 + 1 : Math.max(...ts);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const wx = x(window.fromMs), ww = Math.max(4, x(window.toMs) - wx);
  root.append(svg('rect', { class: 'window', x: wx - 2, y: T, width: ww + 4, height: H - T - B }));
  for (const v of [y0 + pad, (y0 + y1) / 2, y1 - pad]) {
    const label = svg('text', { x: 2, y: y(v) + 3 });
    label.textContent = fmtNum(v);
    root.append(label, svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e3e6ea' }));
  }
  const tl = svg('text', { x: L, y: H - 5 }); tl.textContent = fmtTime(t0).slice(11);
  const tr = svg('text', { x: W - R - 48, y: H - 5 }); tr.textContent = fmtTime(t1).slice(11);
  root.append(tl, tr);
  if (pts.length) root.append(svg('polyline', { class: 'observed', points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
  const exp = series.expected;
  if (exp.length === 1) root.append(svg('line', { class: 'expected', x1: L, x2: W - R, y1: y(exp[0][1]), y2: y(exp[0][1]) }));
  else if (exp.length > 1) root.append(svg('polyline', { class: 'expected', points: exp.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
  for (const a of series.anomalies) root.append(svg('circle', { class: 'anomaly', cx: x(a.t), cy: y(a.observed), r: 3.5 }));
  return root;
}

function legend() {
  return el('div', { class: 'legend' }, el('span', { class: 'sw obs' }), 'observed', el('span', { class: 'sw exp' }), 'expected', el('span', { class: 'sw win' }), 'anomaly window');
}

async function renderIncidents() {
  const { incidents } = await api('/api/v1/incidents');
  const box = $('incidents');
  if (!incidents.length) { box.replaceChildren(el('p', { class: 'empty', text: 'No incidents.' })); return; }
  const cards = [];
  for (const inc of incidents.slice().sort((a, b) => b.openedAtMs - a.openedAtMs).slice(0, 10)) {
    const card = el('article', { class: 'card incident', id: `incident-${inc.id}`, 'data-incident': inc.id },
      el('h3', {}, `${inc.groupKey} `, el('span', { class: `badge ${inc.status}`, text: inc.status })),
      el('div', { class: 'meta', text: `${inc.id} · opened ${fmtTime(inc.openedAtMs)} · score ${fmtNum(inc.score)} · ${inc.anomalies.length} anomalies` }));
    try {
      const s = await api(`/api/v1/incidents/${encodeURIComponent(inc.id)}/series`);
      for (const series of s.series.slice(0, 2)) {
        const last = series.anomalies[series.anomalies.length - 1];
        card.append(el('div', { class: 'meta' }, el('code', { text: series.metric }), last ? ` observed ${fmtNum(last.observed)} vs expected ${fmtNum(last.expected)}` : ''));
        card.append(plot(series, s.window));
      }
      card.append(legend());
    } catch (err) {
      card.append(el('p', { class: 'meta', text: `plot unavailable: ${err.message}` }));
    }
    cards.push(card);
  }
  box.replaceChildren(...cards);
}

async function vote(decisionId, verdict, reasonInput) {
  const reason = reasonInput.value.trim();
  if (!reason) { say('A reason is required.', true); reasonInput.focus(); return; }
  try {
    const r = await api(`/api/v1/decisions/${encodeURIComponent(decisionId)}/${verdict}`, { method: 'POST', body: { reason } });
    say(verdict === 'reject' ? `Rejected ${decisionId}` : r.submitted ? `Approved ${decisionId}: queued` : `Approval recorded for ${decisionId}; another approver is needed`);
  } catch (err) {
    say(`${verdict} failed: ${err.message}`, true);
  }
  await refresh();
}

async function renderPending() {
  const { approvals } = await api('/api/v1/approvals?state=pending');
  const box = $('pending');
  if (!approvals.length) { box.replaceChildren(el('p', { class: 'empty', text: 'Nothing awaits approval.' })); return; }
  const canVote = me && ['approver', 'admin'].includes(me.role);
  box.replaceChildren(...approvals.map((a) => {
    const d = a.decision || { action: { type: '?', target: {}, params: {} }, rule: '?' };
    const t = d.action.target;
    const reason = el('textarea', { placeholder: 'reason (required)', 'aria-label': `reason for ${a.decisionId}` });
    const approve = el('button', { class: 'approve', type: 'button', text: 'Approve' });
    const reject = el('button', { class: 'reject', type: 'button', text: 'Reject' });
    approve.disabled = reject.disabled = !canVote;
    approve.addEventListener('click', () => {
      if (window.confirm(`Approve ${d.action.type} on ${t.namespace}/${t.name}? This changes the cluster.`)) void vote(a.decisionId, 'approve', reason);
    });
    reject.addEventListener('click', () => void vote(a.decisionId, 'reject', reason));
    return el('article', { class: 'card decision', 'data-decision': a.decisionId },
      el('h3', {}, `${d.action.type} on ${t.namespace}/${t.name} `, el('span', { class: `badge ${a.risk}`, text: `${a.risk} risk` })),
      el('div', { class: 'meta', text: `${a.decisionId} · rule ${d.rule} · ${a.approvals.length}/${a.required} approvals · expires ${fmtTime(a.expiresAtMs)}` }),
      el('div', {}, el('code', { text: JSON.stringify(d.action.params) })),
      a.approvals.length ? el('div', { class: 'meta', text: `approved by ${a.approvals.map((v) => `${v.by} (${v.channel})`).join(', ')}` }) : null,
      el('div', { class: 'vote' }, reason, approve, reject));
  }));
}

function auditDetail(r) {
  const b = r.body || {};
  const parts = [];
  if (b.channel) parts.push(`via ${b.channel}`);
  if (b.reason) parts.push(String(b.reason));
  if (b.outcome) parts.push(`→ ${typeof b.outcome === 'string' ? b.outcome : JSON.stringify(b.outcome)}`);
  if (!parts.length && b.action) parts.push(JSON.stringify(b.action.params || b.action));
  return parts.join(' ');
}

async function renderAudit() {
  const { records } = await api('/api/v1/audit?order=desc&limit=50');
  $('audit').tBodies[0].replaceChildren(...records.map((r) => el('tr', { 'data-kind': r.kind, 'data-seq': String(r.seq) },
    el('td', { text: String(r.seq) }), el('td', { text: r.ts.replace('T', ' ').slice(0, 23) }), el('td', { text: r.kind }),
    el('td', { text: `${r.actor.id}${r.actor.authMethod ? ` (${r.actor.authMethod})` : ''}` }),
    el('td', { text: r.decisionId || r.incidentId || '' }), el('td', { class: 'detail', text: auditDetail(r), title: auditDetail(r) }))));
}

async function renderKillSwitch() {
  try {
    const ks = await api('/api/v1/killswitch');
    const s = $('ks-state');
    s.textContent = ks.on ? `ON${ks.by ? ` (by ${ks.by})` : ''}` : 'off';
    s.className = ks.on ? 'on' : '';
    $('ks-toggle').textContent = ks.on ? 'Turn off' : 'Turn on';
    $('ks-toggle').dataset.on = ks.on ? '1' : '0';
    $('ks-toggle').disabled = !(me && me.role !== 'viewer');
  } catch {
    $('ks-state').textContent = 'unavailable';
    $('ks-toggle').disabled = true;
  }
}

async function refresh() {
  const jobs = [renderIncidents(), renderPending(), renderAudit(), renderKillSwitch()];
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) say(`Refresh failed: ${failed.reason.message}`, true);
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  void login($('token').value.trim());
  $('token').value = '';
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem('aiopsd.token');
  token = '';
  void login('');
});
$('ks-toggle').addEventListener('click', async () => {
  const reason = $('ks-reason').value.trim();
  if (!reason) { say('A reason is required to flip the kill switch.', true); return; }
  const on = $('ks-toggle').dataset.on !== '1';
  try {
    await api('/api/v1/killswitch', { method: 'PUT', body: { on, reason } });
    say(`Kill switch ${on ? 'on' : 'off'}`);
    $('ks-reason').value = '';
  } catch (err) {
    say(`Kill switch: ${err.message}`, true);
  }
  await refresh();
});

void login(token);
setInterval(() => { if (document.visibilityState === 'visible') void refresh(); }, 5000);
