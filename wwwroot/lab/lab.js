// The lab page: each button fires a tagged request through the edge and aborts it from the browser.
(() => {
  'use strict';

  const SCENARIOS = [
    { name: 'slow', path: '/lab/slow?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'stream', path: '/lab/stream?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'sse', path: '/lab/sse', kinds: ['xhr', 'fetch', 'eventsource'] },
    { name: 'ws', path: '/lab/ws', kinds: ['websocket'] },
    { name: 'cpu', path: '/lab/cpu?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'upload', path: '/lab/upload?readDelayMs=-1', kinds: ['xhr', 'fetch'], upload: true },
    { name: 'downstream', path: '/lab/downstream?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'process', path: '/lab/process?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'db', path: '/lab/db?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'db-ef', path: '/lab/db-ef?ms=30000', kinds: ['xhr', 'fetch', 'navigate'] },
    { name: 'ignore', path: '/lab/ignore?ms=3000', kinds: ['xhr', 'fetch', 'navigate'] },
  ];
  const COLUMNS = ['xhr', 'fetch', 'navigate', 'eventsource', 'websocket'];
  let fired = 0;

  const abortAfter = () => Number(document.getElementById('abort-after').value) || 0;
  const later = (action) => setTimeout(action, abortAfter());
  const withTag = (path, tag) => `${path}${path.includes('?') ? '&' : '?'}abortlab-tag=${encodeURIComponent(tag)}`;
  const uploadBody = () => new Blob([new Uint8Array(20 * 1024 * 1024)]);

  const FIRE = {
    xhr(url, scenario) {
      const xhr = new XMLHttpRequest();
      xhr.open(scenario.upload ? 'POST' : 'GET', url);
      xhr.send(scenario.upload ? uploadBody() : null);
      later(() => xhr.abort());
    },
    fetch(url, scenario) {
      const controller = new AbortController();
      fetch(url, { method: scenario.upload ? 'POST' : 'GET', body: scenario.upload ? uploadBody() : undefined, signal: controller.signal })
        .then((response) => response.body && response.body.getReader().read())
        .catch(() => {});
      later(() => controller.abort());
    },
    navigate(url) {
      const frame = document.getElementById('navigator');
      frame.src = url;
      later(() => { frame.src = 'about:blank'; });
    },
    eventsource(url) {
      const source = new EventSource(url);
      later(() => source.close());
    },
    websocket(url) {
      const socket = new WebSocket(url.replace(/^http/, 'ws'));
      socket.onopen = () => later(() => socket.close());
    },
  };

  function fire(scenario, kind) {
    fired += 1;
    const tag = `lab-${scenario.name}-${kind}-${Date.now().toString(36)}-${fired}`;
    const url = new URL(withTag(scenario.path, tag), location.origin).toString();
    FIRE[kind](url, scenario);
    const entry = document.createElement('li');
    entry.dataset.testid = 'fired';
    entry.dataset.tag = tag;
    entry.innerHTML = `${kind} → ${scenario.name}: <a href="/abortlab/#tag=${encodeURIComponent(tag)}" target="abortlab-dashboard">${tag}</a>`;
    document.getElementById('log').prepend(entry);
  }

  let lastKey = null;
  const log = (text) => {
    const entry = document.createElement('li');
    entry.textContent = text;
    document.getElementById('log').prepend(entry);
  };
  const refreshCount = async () => {
    const response = await fetch('/lab/order/count');
    document.getElementById('order-count').textContent = (await response.json()).count;
  };
  const order = async (key, { commitDelayMs = 0, abortAfter = 0 } = {}) => {
    const controller = new AbortController();
    if (abortAfter) setTimeout(() => controller.abort(), abortAfter);
    try {
      const response = await fetch(`/lab/order?commitDelayMs=${commitDelayMs}&abortlab-tag=order-${key}`, {
        method: 'POST',
        headers: { 'Idempotency-Key': `"${key}"`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ item: 'lab' }),
        signal: controller.signal,
      });
      log(`order ${key}: ${response.status}${response.headers.get('Idempotency-Replayed') ? ' (replayed)' : ''} ${await response.text()}`);
    } catch (error) {
      log(`order ${key}: aborted in the browser (${error.name})`);
    }
    await refreshCount();
  };
  const newKey = () => `lab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  document.querySelector('[data-testid=order-new]').addEventListener('click', () => order(lastKey = newKey()));
  document.querySelector('[data-testid=order-retry]').addEventListener('click', () => lastKey && order(lastKey));
  document.querySelector('[data-testid=order-abort]').addEventListener('click', async () => {
    lastKey = newKey();
    await order(lastKey, { commitDelayMs: 3000, abortAfter: 500 });
    await order(lastKey, { commitDelayMs: 3000 });
  });
  document.querySelector('[data-testid=restart-app]').addEventListener('click', async () => {
    log('restarting the app hop gracefully…');
    const response = await fetch('/lab-admin/restart-app', { method: 'POST', headers: { 'X-AbortLab-Admin': 'restart' } });
    log(`app hop restarted: ${await response.text()}`);
  });
  refreshCount();

  const body = document.getElementById('scenarios');
  for (const scenario of SCENARIOS) {
    const row = document.createElement('tr');
    const name = document.createElement('td');
    name.className = 'name';
    name.textContent = scenario.name;
    row.appendChild(name);
    for (const kind of COLUMNS) {
      const cell = document.createElement('td');
      if (scenario.kinds.includes(kind)) {
        const button = document.createElement('button');
        button.textContent = 'fire';
        button.dataset.testid = `fire-${scenario.name}-${kind}`;
        button.addEventListener('click', () => fire(scenario, kind));
        cell.appendChild(button);
      }
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
})();
