/** Headless Chromium for the browser tests and the dashboard screenshot: Debian's package, or CHROMIUM_PATH. */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Where Debian's `chromium` package puts the browser (`apt-get install -y chromium`). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The Chromium to drive: `CHROMIUM_PATH` when set, else Debian's. Throws (never skips) when there is none. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  throw new Error(
    `No Chromium to run the browser tests: ${DEBIAN_CHROMIUM} does not exist and CHROMIUM_PATH is not set. ` +
      'Install it (Debian: apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
}

export function launchChromium(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    defaultViewport: viewport,
    // Chromium refuses to run as root with its sandbox on (CI runs as root); /dev/shm is small in containers.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
