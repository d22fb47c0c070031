/**
 * What `aiopsd approve ID [--reject] --reason … --token …` calls: one authenticated request to a
 * running daemon's API. The token comes from the flag or AIOPSD_TOKEN; it is never printed.
 */
export interface ApproveCommandInput {
  /** Base URL of the daemon, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly decisionId: string;
  readonly reject?: boolean;
  readonly reason: string;
  readonly token: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface ApproveCommandResult {
  readonly exitCode: number;
  readonly text: string;
}

export async function runApproveCommand(input: ApproveCommandInput): Promise<ApproveCommandResult> {
  if (!input.reason.trim()) return { exitCode: 2, text: 'a reason is required (--reason "...")' };
  if (!input.token) return { exitCode: 2, text: 'a token is required (--token or AIOPSD_TOKEN)' };
  const verb = input.reject ? 'reject' : 'approve';
  const url = `${input.url.replace(/\/+$/, '')}/api/v1/decisions/${encodeURIComponent(input.decisionId)}/${verb}`;
  let res: Response;
  try {
    res = await (input.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${input.token}`, 'X-Aiopsd-Channel': 'cli' },
      body: JSON.stringify({ reason: input.reason }),
      signal: AbortSignal.timeout(input.timeoutMs ?? 15_000),
    });
  } catch (err) {
    return { exitCode: 3, text: `cannot reach ${input.url}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; state?: string; submitted?: boolean; approval?: { approvals?: unknown[]; required?: number } };
  if (!res.ok) return { exitCode: 1, text: `${verb} refused (HTTP ${res.status} ${body.code ?? ''}): ${body.message ?? ''}`.trim() };
  const count = body.approval?.approvals?.length ?? 0;
  const text =
    verb === 'reject'
      ? `decision ${input.decisionId} rejected`
      : body.submitted
        ? `decision ${input.decisionId} approved (${count}/${body.approval?.required ?? count}) and queued`
        : `approval recorded for ${input.decisionId} (${count}/${body.approval?.required ?? '?'}); waiting for another approver`;
  return { exitCode: 0, text };
}
