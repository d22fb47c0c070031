// Load generator for bench/ingest/run.ts, run as its own process so it never shares the receiver's
// event loop or heap. Reads pre-encoded request bodies from a file ([u32 LE length][bytes]...),
// POSTs each once over CONCURRENCY keep-alive connections, and prints one JSON line:
// {"seconds":…, "requests":…, "failures":…, "statuses":{…}}.
// Usage: node sender.mjs URL BODIES_FILE CONCURRENCY HEADERS_JSON
import { readFileSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

const [url, file, concurrencyArg, headersJson] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const headers = JSON.parse(headersJson);
const raw = readFileSync(file);
const bodies = [];
for (let pos = 0; pos < raw.length;) {
  const len = raw.readUInt32LE(pos);
  bodies.push(raw.subarray(pos + 4, pos + 4 + len));
  pos += 4 + len;
}
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(body) {
  return new Promise((resolve) => {
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { ...headers, 'content-length': body.length },
    }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

let next = 0;
let failures = 0;
const statuses = {};
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < bodies.length) {
    const status = await post(bodies[next++]);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status < 200 || status > 299) failures++;
  }
}));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
agent.destroy();
process.stdout.write(`${JSON.stringify({ seconds, requests: bodies.length, failures, statuses })}\n`);
