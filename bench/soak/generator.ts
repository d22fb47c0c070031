/**
 * The soak's load: remote_write 1.0 to URL at RATE samples/s over SERIES series for DURATION_S seconds,
 * in batches every 250 ms (each series gets RATE/SERIES samples per second; below one sample per series per
 * batch, each batch carries the next share of the series round-robin, as scrapes of many targets would). Runs in its own process so
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
let cursor = 0;
/** A 1-minute sine around 100 plus uniform noise in [0, 2), phase per series. */
const sampleValue = (t: number, i: number): number => 100 + 10 * Math.sin((t / 60_000) * 2 * Math.PI + i) + Math.random() * 2;
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
  let ts: Array<{ labels: (typeof labels)[number]; samples: Array<{ value: number; timestamp: number }> }>;
  if (perSeriesPerTick >= 1) {
    const perTick = Math.floor(carry);
    carry -= perTick;
    const stamps: number[] = [];
    for (let k = 0; k < perTick; k++) stamps.push((lastTs = Math.max(lastTs + 1, Date.now() - tickMs + Math.round(((k + 1) * tickMs) / perTick))));
    ts = labels.map((l, i) => ({ labels: l, samples: stamps.map((t) => ({ value: sampleValue(t, i), timestamp: t })) }));
  } else {
    // Fewer samples than series per tick (a scrape-like shape, e.g. one sample per series per 15 s):
    // this tick's share of the series, round-robin, one sample each.
    const count = Math.floor(carry * series);
    carry -= count / series;
    const t = (lastTs = Math.max(lastTs + 1, Date.now()));
    ts = [];
    for (let k = 0; k < count; k++) {
      const i = cursor;
      cursor = (cursor + 1) % series;
      ts.push({ labels: labels[i]!, samples: [{ value: sampleValue(t, i), timestamp: t }] });
    }
  }
  const n = ts.reduce((a, x) => a + x.samples.length, 0);
  if (n === 0) return;
  const body = compressBlock(encodeWriteRequestV1({ timeseries: ts }));
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
