import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './files.js';

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string; stage: number }> {
  const out: Array<{ op: string; args: string; stage: number }> = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    if (pending) {
      const [op = '', ...rest] = pending.split(/\s+/);
      if (op.toUpperCase() === 'FROM') stage++;
      out.push({ op: op.toUpperCase(), args: rest.join(' '), stage });
    }
    pending = '';
  }
  return out;
}

describe('Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const ins = instructions(text);
  const last = Math.max(...ins.map((i) => i.stage));
  const final = ins.filter((i) => i.stage === last);

  it('is multi-stage: a build stage compiles, the runtime stage copies dist/ from it', () => {
    const froms = ins.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]?.args).toMatch(/\bAS build\b/i);
    const build = ins.filter((i) => i.stage === 0);
    expect(build.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
    expect(build.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);
    expect(final.some((i) => i.op === 'COPY' && /--from=build\b.*\bdist\b/.test(i.args))).toBe(true);
  });

  it('uses node:20-bookworm-slim for every stage', () => {
    const arg = /ARG NODE_IMAGE=(\S+)/.exec(text)?.[1];
    for (const from of ins.filter((i) => i.op === 'FROM')) {
      const image = from.args.split(/\s+/)[0]?.replace('${NODE_IMAGE}', arg ?? '');
      expect(image).toMatch(/^node:20-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('installs only production dependencies in the runtime stage, without install scripts', () => {
    const npm = final.filter((i) => i.op === 'RUN' && /\bnpm\b/.test(i.args));
    expect(npm.length).toBeGreaterThan(0);
    for (const r of npm.filter((i) => /\bnpm (ci|install|i)\b/.test(i.args))) {
      expect(r.args).toMatch(/\bnpm ci\b/);
      expect(r.args).toMatch(/--omit=dev\b/);
      expect(r.args).toMatch(/--ignore-scripts\b/);
    }
  });

  it('downloads nothing but npm packages (no apt-get, curl, wget or ADD from a URL)', () => {
    for (const i of ins) {
      if (i.op === 'RUN') expect(i.args).not.toMatch(/\b(apt-get|apt|apk|curl|wget|git clone|pip)\b/);
      if (i.op === 'ADD') expect(i.args).not.toMatch(/https?:\/\//);
    }
  });

  it('runs as the non-root uid 10001', () => {
    const users = final.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]?.args ?? '';
    expect(user.split(':')[0]).toBe('10001');
    expect(user).not.toMatch(/^(0|root)\b/);
  });

  it('has a HEALTHCHECK that uses node to GET /healthz, exposes 8080 and declares the data volume', () => {
    const hc = final.find((i) => i.op === 'HEALTHCHECK');
    expect(hc?.args).toMatch(/CMD \["node"/);
    expect(hc?.args).toMatch(/\/healthz/);
    expect(final.some((i) => i.op === 'EXPOSE' && /\b8080\b/.test(i.args))).toBe(true);
    expect(final.some((i) => i.op === 'VOLUME' && i.args.includes('/var/lib/aiopsd'))).toBe(true);
    expect(final.some((i) => i.op === 'ENV' && /AIOPSD_DATA_DIR=\/var\/lib\/aiopsd/.test(i.args))).toBe(true);
  });

  it('the healthcheck one-liner is valid JavaScript', () => {
    const hc = final.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const json = JSON.parse(hc.slice(hc.indexOf('['))) as string[];
    expect(json.slice(0, 2)).toEqual(['node', '-e']);
    expect(() => new Function(json[2] ?? '')).not.toThrow();
  });

  it('starts `node dist/main.js serve`', () => {
    expect(final.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "dist/main.js"]');
    expect(final.find((i) => i.op === 'CMD')?.args).toBe('["serve"]');
  });

  it('.dockerignore keeps node_modules, dist, data and .git out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(p);
    for (const needed of ['src', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(needed);
  });
});
