// The Node peer of AbortLab's detection benchmark: plain `http`, no framework. GET /hold/<id> sends one byte and
// waits; when the client leaves, `res.on('close')` fires and the moment (process.hrtime, CLOCK_MONOTONIC) is printed
// as "fired <id> <nanoseconds>". GET /small answers "hello". Prints {"port":N} once listening on 127.0.0.1.
'use strict';
const http = require('http');

const server = http.createServer((req, res) => {
  const hold = /^\/hold\/(\d+)/.exec(req.url);
  if (hold) {
    const id = hold[1];
    res.on('close', () => {
      if (!res.writableFinished) process.stdout.write(`fired ${id} ${process.hrtime.bigint()}\n`);
    });
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('x');
    return;
  }
  if (req.url === '/small') {
    res.end('hello');
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
