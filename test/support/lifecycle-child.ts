/**
 * One Tollgate lifecycle in a process of its own, for claims about Node exiting (lifecycle.test.ts).
 * Nothing but Tollgate keeps the event loop alive unless the mode says so. It reports on stdout, one line each:
 * `READY`, `REJECTED <code> <ms> <message>`, `READ <n>`, `COMMITTED <units>`, `STREAM <state>`, `CLOSING`,
 * `CLOSED <ms> <report json>`; `UNHANDLED <what>` (then exit 9) for any unhandled rejection or uncaught exception.
 * argv: a JSON `{ mode, options }`:
 * - `ready`: `await ready()`; on rejection print it, close, and exit with 3.
 * - `read`: `await getEntitlements('customer-free')`; print it, close, exit with 4 (or 3 on a rejection).
 * - `outage`: ready, commit metered usage, then (kept alive by a ref'd interval, as a server would be) wait for
 *   SIGUSR2 and close; exit with 0 on its own.
 */
import { createTollgate, isTollgateError, type Options } from '@tollgate/core';

const { mode, options } = JSON.parse(process.argv[2]!) as { mode: 'ready' | 'read' | 'outage'; options: Options };
const say = (line: string) => process.stdout.write(`${line}\n`);

for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
  process.on(event, (err: unknown) => {
    const what = err instanceof Error ? `${err.name}: ${err.message}` : Object.prototype.toString.call(err);
    say(`UNHANDLED ${event} ${what}`);
    process.exit(9);
  });
}

const tollgate = createTollgate({
  apiKey: 'server-tollgate-local',
  logger: { warn: () => {}, error: () => {} },
  ...options,
});
tollgate.events.on('stream', (state) => say(`STREAM ${state}`));
tollgate.events.on('error', () => {}); // fallbacks and failed deliveries are expected here

async function close(): Promise<void> {
  say('CLOSING');
  const started = Date.now();
  const report = await tollgate.close();
  say(`CLOSED ${Date.now() - started} ${JSON.stringify(report)}`);
}

const started = Date.now();
try {
  if (mode === 'read') {
    const entitlements = await tollgate.getEntitlements('customer-free');
    say(`READ ${Object.keys(entitlements).length}`);
    await close();
    process.exitCode = 4;
  } else {
    await tollgate.ready();
    say('READY');
  }
} catch (err) {
  say(`REJECTED ${isTollgateError(err) ? err.code : String(err)} ${Date.now() - started} ${(err as Error)?.message}`);
  await close();
  process.exitCode = 3;
}

if (mode === 'outage' && process.exitCode === undefined) {
  let units = 0;
  for (let i = 0; i < 5; i++) {
    const m = await tollgate.enter({ customerId: 'customer-free', featureId: 'feature-api-calls', units: 2 });
    if (m.allowed) {
      await m.settle({ success: true });
      units += 2;
    }
  }
  const alive = setInterval(() => {}, 1_000);
  process.once('SIGUSR2', () => {
    clearInterval(alive);
    void close();
  });
  say(`COMMITTED ${units}`); // after the listener: the parent may signal as soon as it reads this
}
