import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { TOKENS, startHarness, type Harness } from '../integration/api/harness.js';
import { REPO_ROOT } from '../support/env.js';

// evaluated in the browser page, where these exist
declare const sessionStorage: { getItem(k: string): string | null };
declare const document: { documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'screenshots');
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the web page in Chromium', () => {
  it('log in, see an incident with its plot, approve a decision, see the audit record appear', async () => {
    const d = await h.propose({ risk: 'low' });
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // a 401 from the initial anonymous whoami is expected (auth is configured); JS errors are not
      if (m.type() === 'error' && !m.text().includes('401')) errors.push(m.text());
    });
    page.on('dialog', (dlg) => void dlg.accept());
    await page.goto(h.url + '/');
    await page.fill('#token', TOKENS.alice!.token);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#whoami:has-text("alice")');
    expect(await page.evaluate(() => sessionStorage.getItem('aiopsd.token'))).toBe(TOKENS.alice!.token);

    const incident = page.locator(`[data-incident="${d.incidentId}"]`);
    await incident.waitFor();
    const svg = incident.locator('svg.plot');
    await svg.first().waitFor();
    expect(await svg.first().locator('polyline.observed').count()).toBe(1);
    expect(await svg.first().locator('rect.window').count()).toBe(1);
    expect(await svg.first().locator('.expected').count()).toBe(1);
    expect(await svg.first().locator('circle.anomaly').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'ui-1-logged-in.png'), fullPage: true });

    const card = page.locator(`[data-decision="${d.id}"]`);
    await card.waitFor();
    await card.locator('textarea').fill('latency doubled; scaling is safe');
    await card.locator('button.approve').click();
    await page.waitForSelector('#message:has-text("Approved")');
    await page.waitForSelector(`#audit tbody tr[data-kind="approval.granted"]`);
    const row = page.locator('#audit tbody tr[data-kind="approval.granted"]').first();
    expect(await row.textContent()).toContain('alice (token)');
    expect(await row.textContent()).toContain('via web');
    expect(await page.locator(`[data-decision="${d.id}"]`).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'ui-2-approved.png'), fullPage: true });

    const [rec] = await h.audit.list({ decisionId: d.id, kind: 'approval.granted' });
    expect(rec!.body).toMatchObject({ channel: 'web', reason: 'latency doubled; scaling is safe' });
    expect((await h.decisions.get(d.id))!.status).toBe('queued');

    // the kill switch toggle (operator+)
    await page.fill('#ks-reason', 'maintenance window');
    await page.click('#ks-toggle');
    await page.waitForSelector('#ks-state:has-text("ON")');
    expect(h.killSwitch.state).toMatchObject({ on: true, by: 'alice' });
    await page.screenshot({ path: path.join(SHOTS, 'ui-3-killswitch.png'), fullPage: true });
    h.killSwitch.state = { on: false };

    // fits a laptop screen: no horizontal scroll
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(errors, errors.join("\n")).toEqual([]);
    await page.close();
  });

  it('a bad token is refused and nothing is stored', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(h.url + '/');
    await page.fill('#token', 'wrong-token');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#message.error:has-text("Login failed")');
    expect(await page.evaluate(() => sessionStorage.getItem('aiopsd.token'))).toBeNull();
    await page.close();
  });
});
