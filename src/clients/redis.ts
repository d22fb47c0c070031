import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { AppError, errorMessage } from '../lib/errors.js';

export const REDIS_INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL to an existing Redis.';

export interface EmbeddedRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/** Start a private redis-server on a free loopback port; nothing is persisted (it holds only queue state). */
export async function startEmbeddedRedis(opts: { binary: string; dir: string; timeoutMs?: number }): Promise<EmbeddedRedis> {
  await mkdir(opts.dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', opts.dir, '--protected-mode', 'yes'];
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new AppError('redis_missing', REDIS_INSTALL_HINT) : new AppError('redis_start_failed', `could not start ${opts.binary}: ${err.message}`)),
    );
    child.once('exit', (code) => reject(new AppError('redis_start_failed', `${opts.binary} exited with code ${code} before accepting connections`)));
  });
  spawnError.catch(() => undefined);
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([waitForPing(url, opts.timeoutMs ?? 10_000), spawnError]);
  return { url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      lastError = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new AppError('redis_start_failed', `embedded redis did not answer PING within ${timeoutMs} ms: ${errorMessage(lastError)}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A Redis client for health checks and admin commands: every command bounded, no offline queue. */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: commandTimeoutMs });
  client.on('error', () => undefined);
  return client;
}

/** Evicted keys are lost jobs: refuse a Redis whose maxmemory-policy is not noeviction. */
export async function checkRedis(client: Redis, requireNoeviction: boolean): Promise<void> {
  try {
    if (client.status === 'wait') await client.connect();
    await client.ping();
  } catch (err) {
    throw new AppError('redis_unavailable', `cannot reach Redis: ${errorMessage(err)}`, { retryable: true });
  }
  if (!requireNoeviction) return;
  let policy: string | undefined;
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    return; // managed Redis may forbid CONFIG; nothing to check then
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new AppError('redis_eviction_policy', `Redis maxmemory-policy is "${policy}"; aiopsd needs "noeviction" because evicted keys are lost jobs (set it, or redis.requireNoeviction=false at your own risk)`);
  }
}

/** BullMQ connection options from a redis:// URL. */
export function bullConnection(url: string): { host: string; port: number; username?: string; password?: string; db?: number; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
  };
}
