import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { tempDir, testConfig } from '../support/env.js';
import { remoteWriteBody, REMOTE_WRITE_HEADERS } from '../support/remote-write.js';

/** The composition root hands the series store to fine-tuning: with it enabled, rounds run on ingested series. */
describe('daemon with detect.fineTune enabled', () => {
  let daemon: Daemon;
  const tmp = tempDir();

  beforeAll(async () => {
    const config = testConfig(tmp.dir, {
      detect: { ensemble: { workers: 1 }, fineTune: { enabled: true, intervalMs: 1000, minWindows: 50, maxWindows: 400, epochs: 1 } },
    });
    daemon = await startDaemon({ config, logger: silentLogger(), autoCycle: false, rules: [] });
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('runs rounds over the series it ingested and counts their outcome', async () => {
    const startMs = Date.now() - 200_000;
    const series = [0, 1, 2, 3].map((s) => ({
      labels: { __name__: 'queue_depth', service: `svc-${s}` },
      samples: Array.from({ length: 200 }, (_, i) => ({ timestamp: startMs + i * 1000, value: 50 + 10 * Math.sin((i + s) / 4) })),
    }));
    const write = await request(daemon.url).post('/api/v1/write').set(REMOTE_WRITE_HEADERS).send(remoteWriteBody(series));
    expect(write.status).toBe(204);

    // A round is counted under some outcome (adopted, kept or failed); none means the store never reached it.
    let text = '';
    for (let i = 0; i < 120 && !/aiopsd_detect_finetune_rounds_total\{[^}]*\} [1-9]/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 500));
      text = (await request(daemon.url).get('/metrics')).text;
    }
    expect(text).toMatch(/aiopsd_detect_finetune_rounds_total\{[^}]*\} [1-9]/);
    expect(text).not.toMatch(/aiopsd_detect_finetune_rounds_total\{[^}]*reason="insufficient_data"[^}]*\} [1-9]/);
  }, 90_000);
});
