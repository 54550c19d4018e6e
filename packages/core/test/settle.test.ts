/** The two settle helpers every adapter uses, with fakes: a MeteredRequest that records, a Node response that is an EventEmitter. */
import { EventEmitter } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { settleAfterHandler } from '../src/http/guard.js';
import { settleOnNodeResponse } from '../src/http/node-response.js';
import { TollgateError } from '../src/errors.js';
import type { MeteredRequest } from '../src/usage/usage-meter.js';

type Outcome = { success: boolean; units?: number };

/** A metered request that records every settle call (and the order of events in `log`). */
function fakeMetered(log: string[] = [], fail?: unknown) {
  const calls: Outcome[] = [];
  const metered: MeteredRequest = {
    decision: {} as MeteredRequest['decision'],
    allowed: true,
    duplicate: false,
    replay: null,
    inFlight: false,
    settle: async (outcome) => {
      calls.push(outcome);
      log.push(`settle:${outcome.success ? 'commit' : 'release'}`);
      await new Promise((r) => setTimeout(r, 5)); // a store round trip
      log.push('settled');
      if (fail) throw fail;
    },
  };
  return { metered, calls };
}

/** What Node's ServerResponse does that matters here: `end` goes through `writeHead`, then 'finish' and 'close'. */
class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableFinished = false;
  constructor(private readonly log: string[] = []) {
    super();
  }
  writeHead(status?: number): this {
    if (this.headersSent) throw new Error('ERR_HTTP_HEADERS_SENT');
    if (status !== undefined) this.statusCode = status;
    this.headersSent = true;
    this.log.push(`writeHead:${this.statusCode}`);
    return this;
  }
  end(): void {
    if (!this.headersSent) this.writeHead(); // Node's implicit header calls `this.writeHead`
    this.log.push('body');
    this.writableFinished = true;
    this.emit('finish');
    this.destroyed = true;
    this.emit('close');
  }
  /** The client went away before any answer. */
  abort(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

/** Lets the fake settle (a 5 ms round trip) finish. */
const flush = () => new Promise((r) => setTimeout(r, 20));

describe('settleOnNodeResponse', () => {
  it('commits when the response is written, and the body goes out once the commit is recorded', async () => {
    const log: string[] = [];
    const { metered, calls } = fakeMetered(log);
    const res = new FakeResponse(log);
    const errors: unknown[] = [];
    settleOnNodeResponse(metered, res, { onError: (e) => errors.push(e) });
    expect(calls).toEqual([]);
    res.end();
    expect(log).toEqual(['writeHead:200', 'settle:commit']);
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['writeHead:200', 'settle:commit', 'settled', 'body']);
    expect(calls).toEqual([{ success: true, units: undefined }]);
    expect(errors).toEqual([]);
  });

  it('decides from the status given to writeHead; an error status releases without evaluating units', () => {
    const { metered, calls } = fakeMetered();
    const res = new FakeResponse();
    let evaluated = 0;
    settleOnNodeResponse(metered, res, { units: () => ++evaluated, onError: () => {} });
    res.writeHead(409);
    res.end();
    expect(calls).toEqual([{ success: false }]);
    expect(evaluated).toBe(0);
  });

  it('evaluates units and the success predicate once, when the response is written', () => {
    const { metered, calls } = fakeMetered();
    const res = new FakeResponse();
    const statuses: number[] = [];
    let cost = 0;
    settleOnNodeResponse(metered, res, {
      success: (status) => {
        statuses.push(status);
        return status === 202;
      },
      units: () => cost,
      onError: () => {},
    });
    cost = 7; // the handler computes the cost before it answers
    res.statusCode = 202;
    res.end();
    expect(statuses).toEqual([202]);
    expect(calls).toEqual([{ success: true, units: 7 }]);
  });

  it('a units function that throws releases, reports through onError, and leaves the response alone', async () => {
    const log: string[] = [];
    const { metered, calls } = fakeMetered(log);
    const res = new FakeResponse(log);
    const errors: TollgateError[] = [];
    const boom = new Error('units failed');
    settleOnNodeResponse(metered, res, {
      units: () => {
        throw boom;
      },
      onError: (e) => errors.push(e),
    });
    expect(() => res.end()).not.toThrow();
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['writeHead:200', 'settle:release', 'settled', 'body']);
    expect(calls).toEqual([{ success: false }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TollgateError);
    expect(errors[0]).toMatchObject({ code: 'INVALID_REQUEST', cause: boom });
  });

  it('a success predicate that throws releases and reports; a reporter that throws breaks nothing', () => {
    const { metered, calls } = fakeMetered();
    const res = new FakeResponse();
    settleOnNodeResponse(metered, res, {
      success: () => {
        throw new Error('predicate failed');
      },
      onError: () => {
        throw new Error('listener failed');
      },
    });
    expect(() => res.end()).not.toThrow();
    expect(calls).toEqual([{ success: false }]);
  });

  it('a client that goes away before any write releases; a late answer does not settle again', () => {
    const { metered, calls } = fakeMetered();
    const res = new FakeResponse();
    settleOnNodeResponse(metered, res, { onError: () => {} });
    res.abort();
    expect(calls).toEqual([{ success: false }]);
    res.writeHead(200);
    res.emit('finish');
    expect(calls).toEqual([{ success: false }]);
  });

  it("falls back to the response's close when writeHead was not seen: committed if the response finished", () => {
    const { metered, calls } = fakeMetered();
    const res = new FakeResponse();
    settleOnNodeResponse(metered, res, { onError: () => {} });
    res.statusCode = 201;
    res.writableFinished = true;
    res.emit('finish');
    res.emit('close');
    expect(calls).toEqual([{ success: true, units: undefined }]);
  });

  it('a response closed or written before the reservation was made settles at once', () => {
    const closed = fakeMetered();
    const gone = new FakeResponse();
    gone.abort();
    settleOnNodeResponse(closed.metered, gone, { onError: () => {} });
    expect(closed.calls).toEqual([{ success: false }]);

    const written = fakeMetered();
    const answered = new FakeResponse();
    answered.writeHead(200);
    settleOnNodeResponse(written.metered, answered, { onError: () => {} });
    expect(written.calls).toEqual([{ success: true, units: undefined }]);
  });

  it('a settle that rejects is reported as a TollgateError (passed through when it is one)', async () => {
    const errors: TollgateError[] = [];
    const plain = fakeMetered([], new Error('redis down'));
    const res = new FakeResponse();
    settleOnNodeResponse(plain.metered, res, { onError: (e) => errors.push(e) });
    res.end();
    const typed = new TollgateError('INVALID_REQUEST', 'bad units');
    const own = fakeMetered([], typed);
    const res2 = new FakeResponse();
    settleOnNodeResponse(own.metered, res2, { onError: (e) => errors.push(e) });
    res2.end();
    await flush();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'UNAVAILABLE', cause: expect.objectContaining({ message: 'redis down' }) });
    expect(errors[1]).toBe(typed);
  });
});

describe('settleOnNodeResponse: how it finds the response', () => {
  it('a real Node response gets no property of its own, and one with no metered request passes through', async () => {
    const log: string[] = [];
    const { metered, calls } = fakeMetered(log);
    const ownKeys: string[][] = [];
    let n = 0;
    const server = createServer((_req, res) => {
      const before = Object.getOwnPropertyNames(res);
      if (n++ === 0) settleOnNodeResponse(metered, res, { onError: () => {} });
      ownKeys.push(Object.getOwnPropertyNames(res).filter((k) => !before.includes(k)));
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect(await (await fetch(url)).text()).toBe('ok'); // metered: the body went out after the settle
      expect(await (await fetch(url)).text()).toBe('ok'); // not metered: untouched
    } finally {
      server.close();
    }
    expect(ownKeys).toEqual([[], []]);
    expect(log).toEqual(['settle:commit', 'settled']);
    expect(calls).toEqual([{ success: true, units: undefined }]);
  });

  it('a response whose end something else replaced gets wrappers of its own, after the replacement', async () => {
    const log: string[] = [];
    const { metered, calls } = fakeMetered(log);
    const res = new FakeResponse(log);
    const classEnd = res.end;
    // As compression middleware does: its own `end` on the response, calling the one it found.
    res.end = function (this: FakeResponse) {
      log.push('middleware end');
      return classEnd.call(this);
    };
    settleOnNodeResponse(metered, res, { onError: () => {} });
    expect(Object.hasOwn(res, 'writeHead')).toBe(true);
    res.end();
    await flush();
    expect(log).toEqual(['writeHead:200', 'settle:commit', 'settled', 'middleware end', 'body']);
    expect(calls).toEqual([{ success: true, units: undefined }]);
  });

  it('with the handler run inside: a response settled by it needs no close listener; one still open gets one', () => {
    const answered = fakeMetered();
    const res = new FakeResponse();
    settleOnNodeResponse(answered.metered, res, { onError: () => {} }, () => res.end());
    expect(answered.calls).toEqual([{ success: true, units: undefined }]);
    expect(res.listenerCount('close')).toBe(0);

    const open = fakeMetered();
    const later = new FakeResponse();
    settleOnNodeResponse(open.metered, later, { onError: () => {} }, () => {});
    expect(later.listenerCount('close')).toBe(1);
    later.abort();
    expect(open.calls).toEqual([{ success: false }]);
  });
});

describe('settleAfterHandler', () => {
  it('runs the handler, then commits with the units computed by it', async () => {
    const log: string[] = [];
    const { metered, calls } = fakeMetered(log);
    let cost = 0;
    await settleAfterHandler(
      metered,
      async () => {
        log.push('handler');
        cost = 5;
      },
      { status: () => 200, units: () => cost, onError: () => {} },
    );
    expect(log).toEqual(['handler', 'settle:commit', 'settled']); // Hono answers once the commit is recorded
    expect(calls).toEqual([{ success: true, units: 5 }]);
  });

  it('a handler that throws releases, and its error is rethrown', async () => {
    const { metered, calls } = fakeMetered();
    const boom = new Error('handler failed');
    let evaluated = 0;
    await expect(
      settleAfterHandler(
        metered,
        async () => {
          throw boom;
        },
        { status: () => 200, units: () => ++evaluated, onError: () => {} },
      ),
    ).rejects.toBe(boom);
    expect(calls).toEqual([{ success: false }]);
    expect(evaluated).toBe(0);
  });

  it('an error the framework recorded, an aborted request or an unsuccessful status releases', async () => {
    const recorded = fakeMetered();
    await settleAfterHandler(recorded.metered, async () => {}, {
      status: () => 200,
      error: () => new Error('caught by onError'),
      onError: () => {},
    });
    expect(recorded.calls).toEqual([{ success: false }]);

    const aborted = fakeMetered();
    const controller = new AbortController();
    await settleAfterHandler(aborted.metered, async () => controller.abort(), {
      status: () => 200,
      signal: controller.signal,
      success: () => true,
      onError: () => {},
    });
    expect(aborted.calls).toEqual([{ success: false }]);

    const failed = fakeMetered();
    await settleAfterHandler(failed.metered, async () => {}, { status: () => 500, onError: () => {} });
    expect(failed.calls).toEqual([{ success: false }]);

    const custom = fakeMetered();
    await settleAfterHandler(custom.metered, async () => {}, {
      status: () => 500,
      success: (s) => s === 500,
      onError: () => {},
    });
    expect(custom.calls).toEqual([{ success: true, units: undefined }]);
  });

  it('a units function that throws releases and reports; the handler result stands (no rejection)', async () => {
    const { metered, calls } = fakeMetered();
    const errors: TollgateError[] = [];
    await expect(
      settleAfterHandler(metered, async () => {}, {
        status: () => 200,
        units: () => {
          throw new Error('units failed');
        },
        onError: (e) => errors.push(e),
      }),
    ).resolves.toBeUndefined();
    expect(calls).toEqual([{ success: false }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('a settle that rejects is reported, not thrown', async () => {
    const { metered } = fakeMetered([], new Error('redis down'));
    const errors: TollgateError[] = [];
    await expect(
      settleAfterHandler(metered, async () => {}, { status: () => 200, onError: (e) => errors.push(e) }),
    ).resolves.toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['UNAVAILABLE']);
  });
});

describe('recording a response for replay', () => {
  /** A real Node server whose handler writes with `write`; answers the outcome the settle was given. */
  async function serve(handler: (res: ServerResponse) => void) {
    const { metered, calls } = fakeMetered();
    const server = createServer((_req, res) => {
      settleOnNodeResponse(metered, res, { onError: () => {}, record: true });
      handler(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const text = await res.text();
    await flush();
    server.close();
    return { calls, text };
  }

  it('keeps status, headers (also those given to writeHead) and the whole body, and settles at the end', async () => {
    const { calls, text } = await serve((res) => {
      res.setHeader('x-set', 'a');
      res.writeHead(201, { 'content-type': 'text/plain', 'set-cookie': 'session=1' });
      res.write('hello ');
      res.end(Buffer.from('world'));
    });
    expect(text).toBe('hello world');
    expect(calls).toHaveLength(1);
    const { response, success } = calls[0] as Outcome & {
      response: { status: number; headers: Record<string, string>; body: string };
    };
    expect(success).toBe(true);
    expect(response.status).toBe(201);
    expect(response.headers).toMatchObject({ 'x-set': 'a', 'content-type': 'text/plain' });
    expect(response.headers['set-cookie']).toBeUndefined(); // never replayed
    expect(Buffer.from(response.body, 'base64').toString()).toBe('hello world');
  });

  it('does not record a body past 64 KB: commits as soon as it is past, without a response', async () => {
    const { calls, text } = await serve((res) => {
      res.write('x'.repeat(40_000));
      res.write('y'.repeat(40_000));
      setTimeout(() => res.end('z'), 30);
    });
    expect(text).toHaveLength(80_001);
    expect(calls).toEqual([{ success: true, units: undefined }]);
  });
});
