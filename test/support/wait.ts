/** Polls `probe` until it is truthy; fails with `what` after `ms`. */
export async function until(probe: () => unknown | Promise<unknown>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
