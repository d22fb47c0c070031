/**
 * Long stalls in a V8 CPU profile: every stretch where the thread never went idle for ≥ --min-ms, with
 * the time spent per package (self time) and per first-party caller chain. Used on the main-thread
 * profile of a soak run:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/soakprof --import tsx bench/soak/run.ts --minutes 3 --warmup-minutes 1 --rate 24000 --series 2000
 *   npx tsx bench/soak/profile-stalls.ts /tmp/soakprof/CPU.<…>.0.001.cpuprofile [--min-ms 1000]
 *
 * (the main thread's file is the one whose name has thread id 0). Prints one JSON document.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface Stretch {
  readonly fromIdx: number;
  readonly toIdx: number;
}

const TOP = 8;

/** Where a frame comes from: a package, our source, node internals or the engine. */
function origin(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/((?:src|bench)\/.*)$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node';
  if (url.startsWith('wasm://')) return 'wasm (caller unknown)';
  return '(engine: gc, program, native)';
}

function firstPartyChain(nodeId: number, byId: ReadonlyMap<number, ProfileNode>, parent: ReadonlyMap<number, number>): string {
  const frames: string[] = [];
  for (let id: number | undefined = nodeId; id !== undefined && frames.length < 4; id = parent.get(id)) {
    const f = byId.get(id)!.callFrame;
    if (/\/(src|bench)\//.test(f.url) && !f.url.includes('node_modules')) frames.push(`${f.functionName || '(anonymous)'} ${origin(f.url)}`);
  }
  // PGlite resolves its queries as microtasks, so the awaiting caller is often not on the stack
  return frames.join(' < ') || '(no first-party frame: an async continuation)';
}

function busyStretches(p: CpuProfile, byId: ReadonlyMap<number, ProfileNode>, times: readonly number[], minMs: number): Stretch[] {
  const out: Stretch[] = [];
  let from = -1;
  for (let i = 0; i < p.samples.length; i++) {
    const idle = byId.get(p.samples[i]!)!.callFrame.functionName === '(idle)';
    if (!idle && from < 0) from = i;
    if (idle && from >= 0) {
      if ((times[i]! - times[from]!) / 1000 >= minMs) out.push({ fromIdx: from, toIdx: i });
      from = -1;
    }
  }
  return out;
}

function top(m: ReadonlyMap<string, number>): Array<{ what: string; ms: number }> {
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([what, us]) => ({ what, ms: Math.round(us / 1000) }));
}

function describeStretch(s: Stretch, p: CpuProfile, byId: ReadonlyMap<number, ProfileNode>, parent: ReadonlyMap<number, number>, times: readonly number[]): Record<string, unknown> {
  const byOrigin = new Map<string, number>();
  const byCaller = new Map<string, number>();
  for (let i = s.fromIdx; i < s.toIdx; i++) {
    const dtUs = times[i + 1]! - times[i]!;
    const node = byId.get(p.samples[i]!)!;
    const o = origin(node.callFrame.url);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + dtUs);
    const c = firstPartyChain(node.id, byId, parent);
    byCaller.set(c, (byCaller.get(c) ?? 0) + dtUs);
  }
  return {
    atS: +((times[s.fromIdx]! - p.startTime) / 1e6).toFixed(1),
    ms: Math.round((times[s.toIdx]! - times[s.fromIdx]!) / 1000),
    selfTimeByOrigin: top(byOrigin),
    firstPartyCallers: top(byCaller),
  };
}

function main(argv: readonly string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: profile-stalls.ts FILE.cpuprofile [--min-ms 1000]');
  const minIdx = argv.indexOf('--min-ms');
  const minMs = minIdx >= 0 ? Number(argv[minIdx + 1]) : 1000;
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let t = p.startTime;
  const times = p.timeDeltas.map((d) => (t += d));
  const stretches = busyStretches(p, byId, times, minMs);
  const result = { file, minMs, stretches: stretches.map((s) => describeStretch(s, p, byId, parent, times)) };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main(process.argv.slice(2));
