import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser (CHROMIUM_PATH overrides the path). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Chromium as every browser suite starts it: headless, and no background connections this machine's closed network would refuse. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * Collects what makes a page test fail whatever it asserted: an uncaught error, and a
 * Content-Security-Policy refusal (an inline style or script slipping in).
 */
export function watchPage(page: Page, errors: string[]): Page {
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) errors.push(msg.text());
  });
  return page;
}
