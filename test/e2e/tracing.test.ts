import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REDIS_URL, REPO_ROOT, tempDir } from '../support/env.js';

describe('self-tracing', () => {
  it('exports spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const received: Array<{ path: string; type: string | undefined; bytes: number }> = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'], bytes });
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tmp = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200', AIOPSD_DETECT_INTERVAL_MS: '200', AIOPSD_LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), 'serve', '--port', '0', '--data-dir', tmp.dir], { cwd: REPO_ROOT, env, stdio: 'ignore' });
    try {
      const deadline = Date.now() + 60_000;
      while (!received.some((r) => r.path === '/v1/traces') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const traces = received.find((r) => r.path === '/v1/traces');
      expect(traces).toBeDefined();
      expect(traces!.type).toBe('application/x-protobuf');
      expect(traces!.bytes).toBeGreaterThan(0);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      collector.close();
      tmp.cleanup();
    }
  });
});
