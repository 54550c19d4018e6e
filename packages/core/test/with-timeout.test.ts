/** A deadline on a call: an answer received while the event loop was busy past the deadline is not called lost. */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../src/util/with-timeout.js';

describe('withTimeout', () => {
  it('rejects a call with no answer by its deadline', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'probe')).rejects.toThrow('probe: no answer within 20 ms');
  });

  it('takes an answer that arrived while the event loop was blocked past the deadline', async () => {
    // The server in another process, so that it answers while this one is blocked.
    const server = spawn(
      process.execPath,
      [
        '-e',
        "const s = require('node:net').createServer((c) => c.on('data', () => c.write('pong'))).listen(0, '127.0.0.1', () => console.log(s.address().port))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = Number(await new Promise<string>((r) => server.stdout!.once('data', (d) => r(String(d)))));
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    try {
      const answer = new Promise<string>((r) => socket.once('data', (d) => r(String(d))));
      const call = withTimeout(answer, 50, 'probe');
      socket.write('ping');
      const busyUntil = Date.now() + 300; // a loop starved past the deadline (CPU contention, a long task)
      while (Date.now() < busyUntil) {}
      expect(await call).toBe('pong');
    } finally {
      socket.destroy();
      server.kill();
    }
  });
});
