import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditRecord, AuditStore } from '../audit/types.js';
import { eventFromAudit } from './events.js';
import type { WebhookDispatcher } from './webhook.js';
import type { SlackMessenger } from './slack-messenger.js';

/**
 * An AuditStore that tells a listener about every appended record (after it is durably written).
 * Notifications are derived from the audit log, so they never claim something the log lacks.
 */
export function tapAuditStore(store: AuditStore, onAppend: (record: AuditRecord) => void): AuditStore {
  return {
    append: async (entry) => {
      const record = await store.append(entry);
      try {
        onAppend(record);
      } catch {
        // a listener never breaks an append
      }
      return record;
    },
    list: (q) => store.list(q),
    verify: () => store.verify(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** Fans audit records out to webhooks (as events) and to Slack (message posts/updates). */
export class NotificationHub {
  constructor(private readonly deps: { webhooks?: WebhookDispatcher; slack?: SlackMessenger; logger: Logger }) {}

  onAudit(record: AuditRecord): void {
    const event = eventFromAudit(record);
    if (event) this.deps.webhooks?.publish(event);
    if (this.deps.slack) {
      this.deps.slack.onAudit(record).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'slack notification failed'));
    }
  }
}
