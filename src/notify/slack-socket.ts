/**
 * Slack Socket Mode: no public URL needed. apps.connections.open (app-level token) returns a
 * WebSocket URL; Slack sends envelopes {envelope_id, type, payload}; each is acknowledged at once
 * by sending {envelope_id} back, then an "interactive" payload is handled like an HTTP
 * interaction (team/app checked; the replay key makes a redelivered envelope harmless).
 * Reconnects with capped backoff on close or a "disconnect" message. Uses the `ws` package.
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { SlackApi } from './slack-api.js';

interface WsLike {
  on(event: 'open', cb: () => void): void;
  on(event: 'message', cb: (data: Buffer | string) => void): void;
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
  terminate(): void;
}
type WsCtor = new (url: string, opts?: Record<string, unknown>) => WsLike;

function loadWs(): WsCtor {
  const require = createRequire(import.meta.url);
  return require('ws') as WsCtor;
}

export interface SocketModeOptions {
  readonly api: SlackApi;
  readonly logger: Logger;
  /** Called for each interactive payload after it was acknowledged. */
  readonly onInteractive: (payload: unknown) => Promise<void>;
  readonly maxBackoffMs?: number;
}

export class SlackSocketMode {
  private ws: WsLike | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly handling = new Set<Promise<void>>();
  /** Resolves on the first "hello" (tests). */
  readonly connected: Promise<void>;
  private resolveConnected!: () => void;

  constructor(private readonly opts: SocketModeOptions) {
    this.connected = new Promise((r) => (this.resolveConnected = r));
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let url: string;
    try {
      url = await this.opts.api.openConnection();
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err) }, 'slack socket mode: apps.connections.open failed');
      return this.retry();
    }
    const Ws = loadWs();
    const ws = new Ws(url, { handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('message', (data) => this.onMessage(ws, data.toString()));
    ws.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'slack socket mode error'));
    ws.on('close', () => {
      if (this.ws === ws) this.ws = undefined;
      this.retry();
    });
  }

  private onMessage(ws: WsLike, text: string): void {
    let msg: { type?: string; envelope_id?: string; payload?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      this.attempt = 0;
      this.resolveConnected();
      return;
    }
    if (msg.type === 'disconnect') {
      ws.close();
      return;
    }
    if (msg.envelope_id) ws.send(JSON.stringify({ envelope_id: msg.envelope_id }));
    if (msg.type === 'interactive' && msg.payload) {
      const p = this.opts.onInteractive(msg.payload).catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'slack socket mode payload refused'));
      this.handling.add(p);
      void p.finally(() => this.handling.delete(p));
    }
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, 250 * 2 ** this.attempt++);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  async idle(): Promise<void> {
    while (this.handling.size) await Promise.allSettled([...this.handling]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    await this.idle();
  }
}
