/** A local fake of the Slack Web API (chat.*, apps.connections.open) and a Socket Mode WebSocket. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

interface WsSocket {
  send(data: string): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  close(): void;
}
interface WsServer {
  on(event: 'connection', cb: (ws: WsSocket) => void): void;
  handleUpgrade(req: IncomingMessage, socket: unknown, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(): void;
}

export interface SlackCall {
  method: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeSlack {
  readonly url: string;
  readonly apiUrl: string;
  readonly calls: SlackCall[];
  /** Envelope ids acknowledged by the Socket Mode client. */
  readonly acks: string[];
  sendEnvelope(envelope: Record<string, unknown>): void;
  waitForSocket(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const require = createRequire(import.meta.url);
  const { WebSocketServer } = require('ws') as { WebSocketServer: new (opts: { noServer: boolean }) => WsServer };
  const calls: SlackCall[] = [];
  const acks: string[] = [];
  const sockets: WsSocket[] = [];
  let socketWaiters: Array<() => void> = [];
  let ts = 1_700_000_000;
  const wss = new WebSocketServer({ noServer: true });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      calls.push({ method, token: req.headers.authorization?.replace(/^Bearer /, ''), body: parsed });
      res.setHeader('Content-Type', 'application/json');
      if (method === 'chat.postMessage') return void res.end(JSON.stringify({ ok: true, channel: parsed.channel, ts: `${ts++}.000100` }));
      if (method === 'chat.update') return void res.end(JSON.stringify({ ok: true, channel: parsed.channel, ts: parsed.ts }));
      if (method === 'chat.postEphemeral') return void res.end(JSON.stringify({ ok: true }));
      if (method === 'apps.connections.open') {
        const { port } = server.address() as AddressInfo;
        return void res.end(JSON.stringify({ ok: true, url: `ws://127.0.0.1:${port}/socket` }));
      }
      res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
    });
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { envelope_id?: string };
        if (m.envelope_id) acks.push(m.envelope_id);
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1 }));
      const w = socketWaiters;
      socketWaiters = [];
      w.forEach((f) => f());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}/api`,
    calls,
    acks,
    sendEnvelope: (e) => sockets[sockets.length - 1]!.send(JSON.stringify(e)),
    waitForSocket: () => (sockets.length ? Promise.resolve() : new Promise((r) => socketWaiters.push(r))),
    close: async () => {
      sockets.forEach((s) => s.close());
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
