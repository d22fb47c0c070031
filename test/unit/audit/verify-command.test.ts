import { describe, expect, it } from 'vitest';
import type { AuditStore, AuditVerifyResult } from '../../../src/audit/types.js';
import { runAuditVerify } from '../../../src/audit/verify-command.js';
import { AppError } from '../../../src/lib/errors.js';

function storeReturning(verify: () => Promise<AuditVerifyResult>): AuditStore {
  const unused = (): never => {
    throw new Error('not used');
  };
  return { append: unused, list: unused, verify, ping: async () => undefined, close: async () => undefined };
}

describe('runAuditVerify', () => {
  it('reports an intact chain with exit code 0', async () => {
    const out = await runAuditVerify(storeReturning(async () => ({ ok: true, records: 42, headHash: 'abcdef0123456789'.repeat(4) })));
    expect(out).toEqual({ exitCode: 0, text: 'audit chain OK: 42 records, head abcdef012345' });
  });

  it('names the first bad seq with exit code 1', async () => {
    const out = await runAuditVerify(
      storeReturning(async () => ({ ok: false, records: 2, firstBadSeq: 3, reason: 'hash mismatch: x' })),
    );
    expect(out.exitCode).toBe(1);
    expect(out.text).toMatch(/^audit chain BROKEN at seq 3: hash mismatch: x/);
  });

  it('uses exit code 2 when the check cannot run', async () => {
    const out = await runAuditVerify(
      storeReturning(async () => {
        throw new AppError('db_unavailable', 'database at db:5432 is unavailable: ECONNREFUSED', { retryable: true });
      }),
    );
    expect(out).toEqual({ exitCode: 2, text: 'audit verify failed: database at db:5432 is unavailable: ECONNREFUSED' });
  });
});
