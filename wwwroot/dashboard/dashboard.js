// AbortLab dashboard: seeds from api/requests, then follows api/stream (Server-Sent Events). EventSource resends
// Last-Event-ID by itself when it reconnects, and the server replays what was missed. When it cannot (the server
// restarted, or this page fell too far behind), it sends `resync` and the page reloads its state from api/requests.
// The page's Content-Security-Policy allows no inline style or script: styles are set through the DOM.
(() => {
  'use strict';

  const MAX_TIMELINES = 2000;
  const SHOWN_TRACES = 150;
  const BUCKETS = [
    { label: '<1 ms', max: 1 },
    { label: '1–5', max: 5 },
    { label: '5–20', max: 20 },
    { label: '20–100', max: 100 },
    { label: '100–500', max: 500 },
    { label: '0.5–2 s', max: 2000 },
    { label: '>2 s', max: Infinity },
  ];
  const HOP_ORDER = { edge: 0, app: 1, backend: 2 };

  const timelines = new Map();
  const hops = new Set();
  let lastSequence = 0;
  let lastEventId = '';
  let resyncs = 0;
  let renderQueued = false;

  const $ = (id) => document.getElementById(id);
  const tagFilter = $('tag-filter');
  const hopFilter = $('hop-filter');

  const params = new URLSearchParams(location.hash.slice(1));
  tagFilter.value = params.get('tag') || '';
  tagFilter.addEventListener('input', () => {
    history.replaceState(null, '', tagFilter.value ? `#tag=${encodeURIComponent(tagFilter.value)}` : '#');
    queueRender();
  });
  hopFilter.addEventListener('change', queueRender);

  function remember(timeline) {
    if (!timeline) return;
    timelines.set(timeline.id, timeline);
    if (!hops.has(timeline.hop)) {
      hops.add(timeline.hop);
      const option = document.createElement('option');
      option.value = option.textContent = timeline.hop;
      hopFilter.appendChild(option);
    }
    if (timelines.size > MAX_TIMELINES) {
      timelines.delete(timelines.keys().next().value);
    }
  }

  function setStatus(text, css) {
    const status = $('stream-status');
    status.textContent = text;
    status.className = `status ${css}`;
  }

  function connect() {
    const source = new EventSource(`api/stream?lastEventId=${encodeURIComponent(lastEventId)}`);
    source.onopen = () => setStatus(resyncs ? `live (resynced ×${resyncs})` : 'live', 'live');
    source.onerror = () => setStatus('reconnecting…', 'reconnecting');
    const onEvent = (message) => {
      const event = JSON.parse(message.data);
      lastSequence = event.sequence;
      lastEventId = message.lastEventId;
      remember(event.timeline);
      queueRender();
    };
    for (const kind of ['requestStarted', 'requestAborted', 'workStarted', 'workEnded', 'requestCompleted', 'connectionClosed', 'zombieDetected',
      'logRecorded', 'operationAfterAbort', 'detachedWorkChanged']) {
      source.addEventListener(kind, onEvent);
    }
    source.addEventListener('shutdownReported', (message) => {
      lastSequence = JSON.parse(message.data).sequence;
      lastEventId = message.lastEventId;
      showShutdownReport();
    });
    source.addEventListener('resync', (message) => {
      // The server restarted or this page fell behind: what it holds is the truth now.
      const resync = JSON.parse(message.data);
      resyncs++;
      lastEventId = resync.lastEventId;
      const notice = $('resync-notice');
      notice.hidden = false;
      notice.textContent = `state reloaded at ${new Date().toLocaleTimeString()} (${resync.reason})`;
      notice.dataset.count = String(resyncs);
      setStatus(`live (resynced ×${resyncs})`, 'live');
      timelines.clear();
      load();
    });
  }

  async function load() {
    try {
      const response = await fetch('api/requests?limit=500');
      const body = await response.json();
      body.requests.slice().reverse().forEach(remember);
      lastSequence = body.lastSequence;
      return body.lastEventId;
    } catch (error) {
      setStatus('cannot read api/requests', 'reconnecting');
      return '';
    } finally {
      queueRender();
    }
  }

  async function seed() {
    lastEventId = await load();
    connect();
  }

  async function showShutdownReport() {
    const response = await fetch('api/shutdown');
    if (!response.ok) return;
    const r = await response.json();
    const panel = $('shutdown-report');
    panel.hidden = false;
    panel.innerHTML = `<b>graceful shutdown of ${escape(r.hop)}</b> at ${escape(r.completedAt)}: `
      + `${r.streamsNotified} stream(s) told, ${r.streamsAcknowledged} acknowledged · ${r.requestsDrained} request(s) drained, `
      + `${r.requestsAborted} aborted, ${r.zombiesLeft} zombie(s) left · ${r.requestsRefused} refused while draining`;
  }

  async function pollSockets() {
    try {
      const [connections, sockets] = await Promise.all([
        fetch('api/connections').then((r) => r.json()),
        fetch('api/sockets').then((r) => r.json()),
      ]);
      $('open-connections').textContent = connections.connections.length;
      const closeWait = sockets.supported ? (sockets.totals.closeWait || 0) : 'n/a';
      $('close-wait').textContent = closeWait;
      $('close-wait').parentElement.classList.toggle('alert', closeWait > 0);
    } catch (error) {
      // The next poll tries again.
    }
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(render);
    }
  }

  const time = (iso) => (iso ? Date.parse(iso) + Number(iso.slice(23, 26)) / 1000 : null);

  function render() {
    renderQueued = false;
    const tag = tagFilter.value.trim();
    const hop = hopFilter.value;
    const all = [...timelines.values()];
    const shown = all.filter((t) => (!tag || (t.tag || '').includes(tag)) && (!hop || t.hop === hop));

    $('count-requests').textContent = all.length;
    $('count-aborted').textContent = all.filter((t) => t.abortReason).length;
    const zombies = all.filter((t) => t.zombie).length;
    $('count-zombies').textContent = zombies;
    $('count-zombies').parentElement.classList.toggle('alert', zombies > 0);
    $('last-sequence').textContent = lastSequence;
    renderHistogram(all);

    const traces = new Map();
    for (const t of shown) {
      if (!traces.has(t.traceId)) traces.set(t.traceId, []);
      traces.get(t.traceId).push(t);
    }
    const ordered = [...traces.values()]
      .map((requests) => requests.sort((a, b) => (HOP_ORDER[a.hop] ?? 9) - (HOP_ORDER[b.hop] ?? 9) || a.id - b.id))
      .sort((a, b) => Math.max(...b.map((t) => Number(t.id))) - Math.max(...a.map((t) => Number(t.id))))
      .slice(0, SHOWN_TRACES);

    const container = $('traces');
    container.replaceChildren(...ordered.map(renderTrace));
  }

  function renderHistogram(all) {
    const counts = BUCKETS.map(() => 0);
    for (const t of all) {
      if (t.abortToWorkStoppedMs == null) continue;
      counts[BUCKETS.findIndex((b) => t.abortToWorkStoppedMs < b.max)]++;
    }
    const max = Math.max(1, ...counts);
    $('histogram').replaceChildren(...BUCKETS.map((bucket, i) => {
      const element = document.createElement('div');
      element.className = 'bucket';
      element.innerHTML = `<span class="count">${counts[i]}</span><div class="bar"></div><span class="range">${bucket.label}</span>`;
      element.querySelector('.bar').style.height = `${(70 * counts[i]) / max}%`;
      return element;
    }));
  }

  function renderTrace(requests) {
    const start = Math.min(...requests.map((t) => time(t.startedAt)));
    const now = Date.now();
    const end = Math.max(...requests.flatMap((t) => [time(t.completedAt) ?? now, time(t.connectionClosedAt) ?? 0, ...t.work.map((w) => time(w.endedAt) ?? now)]));
    const span = Math.max(end - start, 1);
    const x = (ms) => `${(100 * (ms - start)) / span}%`;

    const trace = document.createElement('div');
    trace.className = 'trace';
    trace.dataset.testid = 'trace';
    trace.dataset.traceId = requests[0].traceId;
    trace.classList.toggle('zombie', requests.some((t) => t.zombie));
    const tag = requests.find((t) => t.tag)?.tag;
    trace.innerHTML = `<div class="trace-head"><span>trace ${requests[0].traceId.slice(0, 12)}…</span>${tag ? `<span class="tag">tag ${escape(tag)}</span>` : ''}<span>${span.toFixed(1)} ms</span></div>`;

    for (const t of requests) {
      const row = document.createElement('div');
      row.className = 'request';
      row.dataset.testid = 'request-row';
      row.dataset.requestId = t.id;
      row.dataset.hop = t.hop;
      row.dataset.tag = t.tag || '';
      row.dataset.reason = t.abortReason || '';
      row.classList.toggle('zombie', t.zombie);
      const css = t.abortReason || (t.completedAt ? 'completed' : 'running');
      const finished = time(t.completedAt) ?? now;
      const facts = [
        t.statusCode != null ? String(t.statusCode) : '…',
        t.abortToWorkStoppedMs != null ? `work +${t.abortToWorkStoppedMs.toFixed(1)} ms` : (t.abortedAt ? 'work running' : ''),
        t.abortToConnectionClosedMs != null ? `socket +${t.abortToConnectionClosedMs.toFixed(1)} ms` : '',
      ].filter(Boolean).join(' · ');
      row.innerHTML = `<span class="hop">${escape(t.hop)}</span>`
        + `<span class="what" title="${escape(t.path)}">${escape(t.method)} ${escape(t.path)} <small>${escape(t.protocol)}</small></span>`
        + '<div class="waterfall"></div>'
        + `<span class="facts">${facts}</span>`;
      const waterfall = row.querySelector('.waterfall');
      const bar = document.createElement('span');
      bar.className = `bar-fill ${css}`;
      bar.style.left = x(time(t.startedAt));
      bar.style.width = `${Math.max(0.5, (100 * (finished - time(t.startedAt))) / span)}%`;
      waterfall.appendChild(bar);
      const tick = (kind, title, at) => {
        const element = document.createElement('span');
        element.className = `tick ${kind}`;
        element.title = title;
        element.style.left = x(at);
        waterfall.appendChild(element);
      };
      if (t.abortedAt) tick('abort', `aborted: ${t.abortReason}`, time(t.abortedAt));
      for (const w of t.work) {
        if (w.endedAt) tick('work', `${w.name}: ${w.outcome}${w.error ? ` (${w.error})` : ''}`, time(w.endedAt));
      }
      if (t.connectionClosedAt) tick('socket', 'socket closed', time(t.connectionClosedAt));
      trace.appendChild(row);
    }
    return trace;
  }

  function escape(text) {
    return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  seed();
  showShutdownReport();
  pollSockets();
  setInterval(pollSockets, 2000);
  setInterval(queueRender, 1000);
})();
