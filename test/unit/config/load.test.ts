import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ConfigError, envNameFor, loadConfig, redactConfig, validateConfig } from '../../../src/config/load.js';
import { tempDir } from '../../support/env.js';

describe('config', () => {
  it('has a default for every field', () => {
    const config = loadConfig({ env: {} });
    expect(config.server.port).toBe(8080);
    expect(config.dataDir).toBe('./data');
    expect(config.policy.dryRun).toBe(true);
    expect(config.redis.url).toBeUndefined();
  });

  it('layers file < env < flags', () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'c.yaml');
    writeFileSync(file, 'server:\n  port: 7000\n  host: 127.0.0.1\ndataDir: /from/file\n');
    const config = loadConfig({ file, env: { AIOPSD_PORT: '7001', AIOPSD_DATA_DIR: '/from/env' }, overrides: [{ path: ['dataDir'], value: '/from/flag' }] });
    expect(config.server).toMatchObject({ port: 7001, host: '127.0.0.1' });
    expect(config.dataDir).toBe('/from/flag');
    tmp.cleanup();
  });

  it('maps nested env names and the well-known aliases', () => {
    expect(envNameFor(['server', 'maxBodyBytes'])).toBe('AIOPSD_SERVER_MAX_BODY_BYTES');
    const config = loadConfig({ env: { AIOPSD_SERVER_MAX_BODY_BYTES: '2048', REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://u:p@db/x', AIOPSD_POLICY_DRY_RUN: 'false' } });
    expect(config.server.maxBodyBytes).toBe(2048);
    expect(config.redis.url).toBe('redis://r:6379');
    expect(config.policy.dryRun).toBe(false);
  });

  it('names an unknown key and lists what is allowed', () => {
    expect(() => validateConfig({ server: { prot: 1 } }, 'x.yaml')).toThrowError(/server\.prot: unknown key; allowed here: host, port, maxBodyBytes, maxDecodedBytes/);
    expect(() => validateConfig({ sever: {} }, 'x.yaml')).toThrowError(/sever: unknown key/);
  });

  it('names a bad value and what is allowed', () => {
    expect(() => validateConfig({ server: { port: 70000 } }, 'x.yaml')).toThrowError(/server\.port: .*65535/);
    expect(() => validateConfig({ log: { level: 'loud' } }, 'x.yaml')).toThrowError(/log\.level: .*allowed: "fatal"/);
  });

  it('rejects unknown AIOPSD_ variables and bad env values', () => {
    expect(() => loadConfig({ env: { AIOPSD_PROT: '1' } })).toThrowError(/AIOPSD_PROT: unknown environment variable/);
    expect(() => loadConfig({ env: { AIOPSD_PORT: 'eighty' } })).toThrowError(/AIOPSD_PORT \(server\.port\): expected a number/);
    expect(() => loadConfig({ env: { AIOPSD_POLICY_DRY_RUN: 'yes' } })).toThrowError(/expected true or false/);
  });

  it('reports unreadable and invalid YAML files clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/aiopsd.yaml', env: {} })).toThrowError(/cannot read the file: ENOENT/);
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: [1,\n');
    expect(() => loadConfig({ file, env: {} })).toThrowError(/not valid YAML at line/);
    writeFileSync(file, '- a\n- b\n');
    expect(() => loadConfig({ file, env: {} })).toThrowError(/top level must be a mapping/);
    tmp.cleanup();
  });

  it('redacts credentials when printing', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://u:hunter2@db/x', AIOPSD_AUDIT_CHECKPOINT_KEY: 'k3y' } });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('k3y');
  });

  it('never crashes on arbitrary input: valid config or a ConfigError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateConfig(value, 'fuzz');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
