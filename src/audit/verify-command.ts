/**
 * `aiopsd audit verify`: walks the hash chain and prints one line for people.
 * Exit codes: 0 chain OK, 1 chain BROKEN (tampering or loss found), 2 verification could not run
 * (e.g. database unavailable), so scripts can tell "broken" from "could not check".
 */
import { errorMessage } from '../lib/errors.js';
import type { AuditStore } from './types.js';

export async function runAuditVerify(store: AuditStore): Promise<{ exitCode: number; text: string }> {
  let result;
  try {
    result = await store.verify();
  } catch (err) {
    return { exitCode: 2, text: `audit verify failed: ${errorMessage(err)}` };
  }
  if (result.ok) {
    return { exitCode: 0, text: `audit chain OK: ${result.records} records, head ${result.headHash.slice(0, 12)}` };
  }
  return {
    exitCode: 1,
    text: `audit chain BROKEN at seq ${result.firstBadSeq}: ${result.reason} (${result.records} records verified before it)`,
  };
}
