/**
 * The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium, installed by the
 * test command) driven by playwright-core; never a downloaded browser.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startDashboardApp, type DashboardApp } from './fixtures/dashboard-app.js';

const CHROMIUM = '/usr/bin/chromium';

describe('observability: dashboard in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let app: DashboardApp;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: the README's test command installs Debian's chromium package (apt-get install chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    app = await startDashboardApp();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows registries and entries, and a new registration appears without a reload', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(app.url);
    await page.locator('#status.live').waitFor({ timeout: 10_000 });
    const storage = page.locator('.card', { has: page.locator('h3', { hasText: 'storage' }) });
    expect(await storage.locator('td', { hasText: 's3' }).first().textContent()).to.equal('s3');
    expect(await storage.locator('tr', { hasText: 's3' }).textContent()).to.include('storage-s3');
    expect(await page.locator('#plugins').textContent())
      .to.include('storage-s3')
      .and.include('started');
    expect(await page.locator('#services').textContent()).to.include('greeter-3');

    app.codecs.register('msgpack', 'application/msgpack');
    await page.locator('#registries td', { hasText: 'msgpack' }).waitFor({ timeout: 5000 });

    await page.fill('#filter', 'msgpack');
    expect(await page.locator('#registries tr[data-text]:not(.hidden)').count()).to.equal(1);
    expect(await page.locator('#services .card.hidden').count()).to.equal(1, 'the greeter card is filtered out');

    mkdirSync('.test-output', { recursive: true });
    await page.fill('#filter', '');
    await page.screenshot({ path: '.test-output/dashboard.png', fullPage: true });
    expect(existsSync('.test-output/dashboard.png')).to.equal(true);
    expect(requests.every((u) => u.startsWith('http://127.0.0.1:'))).to.equal(true, `only the app was contacted: ${requests.join(', ')}`);
    await page.close();
  });
});
