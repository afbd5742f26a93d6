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
