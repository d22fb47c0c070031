import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../support/env.js';
import { runCli } from '../support/cli.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS } from '../support/remote-write.js';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('aiopsd CLI', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([['serve'], ['demo'], ['config', 'check'], ['audit', 'verify'], ['policy', 'check'], ['bench', 'nab']])('%s --help describes the command', async (...cmd) => {
    const r = await runCli([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: aiopsd');
    if (cmd[0] === 'serve' || cmd[0] === 'demo') expect(r.stdout).toMatch(/--port[\s\S]*--data-dir/);
  });

  it('config check prints the effective config, with secrets redacted', async () => {
    const file = path.join(tmp.dir, 'ok.yaml');
    writeFileSync(file, 'server:\n  port: 9999\ndatabase:\n  url: postgres://u:s3cret@db:5432/x\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stdout).toContain('port: 9999');
    expect(r.stdout).not.toContain('s3cret');
  });

  it('config check names a bad key and value and exits non-zero', async () => {
    const file = path.join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: -1\n  colour: blue\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('server.port');
    expect(r.stderr).toContain('server.colour: unknown key; allowed here: host, port');
  });

  it('a bad flag value is refused with the reason', async () => {
    const r = await runCli(['serve', '--port', 'eighty']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('must be an integer from 0 to 65535');
  });

  it('a missing redis-server says how to install it', async () => {
    const r = await runCli(['serve', '--port', '0', '--data-dir', path.join(tmp.dir, 'nored')], { env: { AIOPSD_REDIS_REDIS_SERVER_PATH: '/nonexistent/redis-server', AIOPSD_LOG_LEVEL: 'silent' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apt-get install redis-server');
  });
});

describe('aiopsd serve on embedded defaults (private redis-server, PGlite)', () => {
  it('answers health, readiness and metrics, refuses bad remote_write bodies with a reason, and exits 0 on SIGTERM', async () => {
    const dataDir = path.join(tmp.dir, 'serve');
    const child = spawnServe(['serve', '--port', '0', '--data-dir', dataDir]);
    const url = await waitForListening(child);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: [{ name: 'redis', ok: true }, { name: 'audit_store', ok: true }] });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const name of ['aiopsd_build_info', 'aiopsd_ingest_samples_total', 'aiopsd_decisions_total', 'aiopsd_audit_records_total', 'process_resident_memory_bytes']) expect(metrics).toContain(name);

    const good = remoteWriteBody([{ labels: { __name__: 'up', job: 'x' }, samples: [{ value: 1, timestamp: Date.now() }] }]);
    const notSnappy = await post(url, Buffer.from('definitely not snappy'), REMOTE_WRITE_HEADERS);
    expect(notSnappy.status).toBe(400);
    expect(notSnappy.body.message).toMatch(/snappy/i);
    const truncated = await post(url, remoteWriteBody([{ labels: { __name__: 'up', job: 'x' }, samples: [{ value: 1, timestamp: 1 }] }]).subarray(0, 6), REMOTE_WRITE_HEADERS);
    expect(truncated.status).toBe(400);
    expect(truncated.body.code).toBeTruthy();
    const wrongType = await post(url, good, { ...REMOTE_WRITE_HEADERS, 'Content-Type': 'application/json' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.message).toMatch(/application\/x-protobuf/);
    expect((await post(url, good, REMOTE_WRITE_HEADERS)).status).toBe(204);

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

function spawnServe(args: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, AIOPSD_LOG_PRETTY: 'false' };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  return spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The daemon logs `aiopsd listening` with its URL (JSON logs when not a TTY). */
function waitForListening(child: ChildProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not listening within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)","dataDir"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${out}`)));
  });
}

async function post(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const res = await fetch(`${url}/api/v1/write`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { code?: string; message?: string }) : {} };
}
