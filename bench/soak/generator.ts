/**
 * The soak's load: remote_write 1.0 to URL at RATE samples/s over SERIES series for DURATION_S seconds,
 * in batches every 250 ms (each series gets RATE/SERIES samples per second). Runs in its own process so
 * its CPU does not show up as the daemon's event-loop lag. Prints one JSON line with what it sent.
 */
import { compressBlock } from '../../src/ingest/remote-write/snappy.js';
import { encodeWriteRequestV1 } from '../../src/ingest/remote-write/encode.js';

const url = process.env.SOAK_URL!;
const series = Number(process.env.SOAK_SERIES ?? 2000);
const rate = Number(process.env.SOAK_RATE ?? 20_000);
const durationS = Number(process.env.SOAK_DURATION_S ?? 600);
const tickMs = 250;
const perSeriesPerTick = (rate * tickMs) / 1000 / series; // may be fractional: carried over between ticks
let carry = 0;
let lastTs = 0; // strictly increasing timestamps, whatever the timer jitter (else the receiver counts duplicates)
const labels = Array.from({ length: series }, (_, i) => [
  { name: '__name__', value: `soak_metric_${i % 20}` },
  { name: 'service', value: `svc-${i % 50}` },
  { name: 'instance', value: `pod-${Math.floor(i / 20)}` },
]);
let sent = 0;
let requests = 0;
let failed = 0;
const statuses: Record<string, number> = {};
let inFlight = 0;
let skipped = 0;
const t0 = Date.now();
let tick = 0;
const timer = setInterval(() => {
  if (Date.now() - t0 >= durationS * 1000) {
    clearInterval(timer);
    const wait = setInterval(() => {
      if (inFlight === 0) {
        clearInterval(wait);
        process.stdout.write(JSON.stringify({ sent, requests, failed, skippedTicks: skipped, statuses, seconds: (Date.now() - t0) / 1000 }) + '\n');
      }
    }, 100);
    return;
  }
  if (inFlight >= 4) {
    skipped++;
    return;
  }
  tick++;
  carry += perSeriesPerTick;
  const perTick = Math.max(1, Math.floor(carry));
  carry -= perTick;
  const stamps: number[] = [];
  for (let k = 0; k < perTick; k++) stamps.push((lastTs = Math.max(lastTs + 1, Date.now() - tickMs + Math.round(((k + 1) * tickMs) / perTick))));
  const ts = labels.map((l, i) => ({
    labels: l,
    samples: stamps.map((t) => ({ value: 100 + 10 * Math.sin((t / 60_000) * 2 * Math.PI + i) + Math.random() * 2, timestamp: t })),
  }));
  const body = compressBlock(encodeWriteRequestV1({ timeseries: ts }));
  const n = series * perTick;
  inFlight++;
  fetch(`${url}/api/v1/write`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' }, body, signal: AbortSignal.timeout(10_000) })
    .then(async (r) => {
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      requests++;
      if (r.ok) sent += n;
      else failed += n;
    })
    .catch(() => {
      failed += n;
      statuses.error = (statuses.error ?? 0) + 1;
    })
    .finally(() => inFlight--);
  void tick;
}, tickMs);
