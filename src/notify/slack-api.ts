/**
 * The few Slack Web API methods aiopsd uses, over fetch, against a configurable base URL
 * (https://slack.com/api by default; tests point it at a local fake). Tokens go only in the
 * Authorization header and never into errors or logs.
 */
import { AppError } from '../lib/errors.js';

export interface SlackApiOptions {
  /** e.g. https://slack.com/api (no trailing slash needed). */
  readonly baseUrl: string;
  /** Bot token (xoxb-…) for chat.*. */
  readonly botToken?: string;
  /** App-level token (xapp-…) for apps.connections.open (Socket Mode). */
  readonly appToken?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
}

export class SlackApi {
  private readonly base: string;
  constructor(private readonly opts: SlackApiOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  async postMessage(channel: string, text: string, blocks: unknown[]): Promise<PostedMessage> {
    const r = await this.call('chat.postMessage', this.opts.botToken, { channel, text, blocks, unfurl_links: false });
    return { channel: String(r.channel ?? channel), ts: String(r.ts) };
  }

  async update(channel: string, ts: string, text: string, blocks: unknown[]): Promise<void> {
    await this.call('chat.update', this.opts.botToken, { channel, ts, text, blocks });
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    await this.call('chat.postEphemeral', this.opts.botToken, { channel, user, text });
  }

  /** Socket Mode: a one-time WebSocket URL. */
  async openConnection(): Promise<string> {
    const r = await this.call('apps.connections.open', this.opts.appToken, {});
    if (typeof r.url !== 'string') throw new AppError('slack_error', 'apps.connections.open returned no url', { retryable: true });
    return r.url;
  }

  private async call(method: string, token: string | undefined, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!token) throw new AppError('slack_not_configured', `no token configured for ${method}`);
    const f = this.opts.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(`${this.base}/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
    } catch (err) {
      throw new AppError('slack_unreachable', `Slack ${method} failed: ${err instanceof Error ? err.name : 'error'}`, { retryable: true });
    }
    if (res.status === 429 || res.status >= 500) throw new AppError('slack_unavailable', `Slack ${method} answered HTTP ${res.status}`, { retryable: true });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (json.ok !== true) throw new AppError('slack_error', `Slack ${method}: ${typeof json.error === 'string' ? json.error : `HTTP ${res.status}`}`);
    return json;
  }
}
