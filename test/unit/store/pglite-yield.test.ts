/**
 * PGlite answers queries synchronously on the main thread and resolves them as microtasks, so a loop of
 * awaited queries never let the event loop run (the soak's multi-second stalls). The PGlite Sql handle
 * now gives the loop a turn whenever it has not had one for PGLITE_YIELD_BUDGET_MS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventLoopYielder, openDatabase, type Sql } from '../../../src/store/db.js';
import { tempDir } from '../../support/env.js';

const macrotask = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('createEventLoopYielder (fake clock)', () => {
  it('does not yield within the budget, and yields once it is used up', async () => {
    let nowMs = 0;
    const yieldIfDue = createEventLoopYielder(10, () => nowMs);
    let turned = false;
    setImmediate(() => (turned = true));
    await yieldIfDue(); // starts a slice
    nowMs = 9;
    await yieldIfDue();
    expect(turned).toBe(false); // still one microtask chain
    nowMs = 10;
    await yieldIfDue();
    expect(turned).toBe(true); // the loop ran pending immediates before we went on
  });

  it('starts a fresh slice after the event loop turned by itself', async () => {
    let nowMs = 0;
    const yieldIfDue = createEventLoopYielder(10, () => nowMs);
    await yieldIfDue();
    await macrotask(); // e.g. the caller waited for I/O in between
    nowMs = 50;
    let turned = false;
    setImmediate(() => (turned = true));
    await yieldIfDue(); // a new slice: no extra wait
    expect(turned).toBe(false);
  });
});

describe('PGlite Sql handle', () => {
  const tmp = tempDir('aiopsd-pglite-yield-');
  let sql: Sql;
  beforeAll(async () => {
    sql = await openDatabase({ dataDir: tmp.dir, schema: 'yield_test' });
    await sql.query('create table t (n int)');
  });
  afterAll(async () => {
    await sql?.close();
    tmp.cleanup();
  });

  it('lets a timer run during a long chain of awaited queries and transactions', async () => {
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    // Bounded so that a regression fails instead of hanging; with the yielder the timer runs after ~10 ms of work.
    let rounds = 0;
    while (!timerRan && rounds < 3000) {
      await sql.transaction(async (tx) => {
        await tx.query('insert into t (n) values ($1)', [rounds]);
        await tx.query('select count(*) from t');
      });
      rounds++;
    }
    expect(timerRan).toBe(true);
    expect(rounds).toBeLessThan(3000);
  });
});
