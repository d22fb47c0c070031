import type { Daemon } from '../daemon.js';
import { errorMessage } from '../lib/errors.js';

interface SandboxReader {
  readonly url: string;
}

/** One line per incident or decision whenever its state changes, so the demo visibly acts. */
export class StatusPrinter {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly daemon: Daemon,
    private readonly sandbox: SandboxReader,
    private readonly hpa: { namespace: string; name: string },
    private readonly out: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.poll().catch((err: unknown) => this.out(`status: ${errorMessage(err)}`));
    }, 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    for (const inc of this.daemon.pipeline.incidents()) {
      const line = `incident ${inc.id.slice(0, 12)} ${inc.groupKey}: ${inc.status}, score ${inc.score.toFixed(3)}, ${inc.anomalies.length} anomalies`;
      this.emit(inc.id, line);
    }
    for (const d of await this.daemon.decisions.list({ limit: 20 })) {
      const plan = d.result?.plan ? ` ${JSON.stringify(d.result.plan.before)} -> ${JSON.stringify(d.result.plan.after)}` : '';
      this.emit(d.id, `decision ${d.id.slice(0, 12)} ${d.action.type} ${d.action.target.namespace}/${d.action.target.name}: ${d.status}${d.reason ? ` (${d.reason})` : ''}${plan}`);
    }
    const res = await fetch(`${this.sandbox.url}/apis/autoscaling/v2/namespaces/${this.hpa.namespace}/horizontalpodautoscalers/${this.hpa.name}`);
    if (res.ok) {
      const hpa = (await res.json()) as { spec?: { minReplicas?: number; maxReplicas?: number } };
      this.emit('hpa', `sandbox HPA ${this.hpa.namespace}/${this.hpa.name}: minReplicas=${hpa.spec?.minReplicas} maxReplicas=${hpa.spec?.maxReplicas}`);
    }
  }

  private emit(key: string, line: string): void {
    if (this.seen.get(key) === line) return;
    this.seen.set(key, line);
    this.out(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  }
}
