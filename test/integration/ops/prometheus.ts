import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const prometheusAvailable = spawnSync(PROMETHEUS, ['--version']).status === 0;
export const promtoolAvailable = spawnSync('promtool', ['--version']).status === 0;
if (!prometheusAvailable) console.warn(`[skip] ${PROMETHEUS} is not installed: real-Prometheus ops tests are SKIPPED`);

export interface RunningPrometheus {
  readonly url: string;
  log(): string;
  query<T = Array<{ metric: Record<string, string>; value: [number, string] }>>(expr: string): Promise<T>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real Prometheus on loopback with the given prometheus.yml body (and the remote-write receiver on). */
export async function startPrometheus(configYaml: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aiopsd-ops-prom-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Prometheus not ready: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log: () => log,
    query: async <T>(expr: string): Promise<T> => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: T } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
