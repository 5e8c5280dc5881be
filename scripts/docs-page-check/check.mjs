// Usage: node check.mjs [base URL] [screenshot path]
// Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium) and `npm install` here.
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const screenshot = process.argv[3] ?? '../../docs/docs-page.png';
const fail = (message) => { console.error(`docs page check FAILED: ${message}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const offsite = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) offsite.push(request.url()); });

  await page.goto(`${base}/docs/`);
  await page.waitForSelector('.opblock-summary-path', { timeout: 15000 });
  const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
  for (const expected of ['/auth/register', '/auth/login', '/auth/status', '/auth/logout']) {
    if (!paths.includes(expected)) fail(`${expected} is not listed (listed: ${paths.join(', ')})`);
  }

  await page.screenshot({ path: screenshot.replace(/\.png$/, '-overview.png') });
  const register = page.locator('#operations-auth-register');
  await register.locator('.opblock-summary').click();
  await register.locator('button.try-out__btn').click();
  const email = `docs-${Date.now()}@example.com`;
  await register.locator('textarea.body-param__text').fill(JSON.stringify({ email, password: 'docs-page-123' }));
  await register.locator('button.execute').click();
  const status = register.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.innerText()).trim();
  if (!code.startsWith('201')) fail(`Try it out on register answered ${code}`);
  await register.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot });
  if (offsite.length > 0) fail(`the page requested resources from elsewhere: ${offsite.join(', ')}`);
  console.log(`docs page check ok: ${paths.length} operations listed, register via Try it out answered ${code}, screenshot ${screenshot}`);
} finally {
  await browser.close();
}
