/** The emitter Tollgate's events use on every runtime: the same behaviour as Node's EventEmitter where both have it. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Emitter } from '../src/util/emitter.js';

type Shape = Pick<
  EventEmitter,
  'on' | 'once' | 'off' | 'emit' | 'listenerCount' | 'removeAllListeners' | 'addListener' | 'removeListener'
>;

/** Runs `scenario` on a Node EventEmitter and on Emitter; what each logged is compared. */
function both(scenario: (e: Shape, log: unknown[]) => void): { node: unknown[]; ours: unknown[] } {
  const node: unknown[] = [];
  const ours: unknown[] = [];
  scenario(new EventEmitter(), node);
  scenario(new Emitter() as unknown as Shape, ours);
  return { node, ours };
}

describe('Emitter', () => {
  it('calls listeners in order with the arguments, the emitter as this, and says whether anyone listened', () => {
    const { node, ours } = both((e, log) => {
      e.on('x', function (this: unknown, a: number, b: string) {
        log.push(['first', a, b, this === e]);
      });
      e.on('x', (a: number) => log.push(['second', a]));
      log.push(e.emit('x', 1, 'one'), e.emit('nobody'), e.listenerCount('x'), e.listenerCount('nobody'));
    });
    expect(ours).toEqual([['first', 1, 'one', true], ['second', 1], true, false, 2, 0]);
    expect(ours).toEqual(node);
  });

  it('runs a once listener a single time, and off removes it by the listener given', () => {
    const { node, ours } = both((e, log) => {
      const once = (v: number) => log.push(['once', v]);
      e.once('x', once);
      e.emit('x', 1);
      e.emit('x', 2);
      const dropped = () => log.push('never');
      e.once('y', dropped);
      log.push(e.listenerCount('y'));
      e.off('y', dropped);
      log.push(e.listenerCount('y'), e.emit('y'));
    });
    expect(ours).toEqual([['once', 1], 1, 0, false]);
    expect(ours).toEqual(node);
  });

  it('removes one instance per off, the one added last; removal during an emit does not change that emit', () => {
    const { node, ours } = both((e, log) => {
      const a = (tag: string) => log.push(['a', tag]);
      const b = () => {
        log.push('b');
        e.off('x', a);
      };
      e.on('x', a);
      e.on('x', b);
      e.on('x', a);
      e.emit('x', 'first'); // b removes the second a, which still runs in this emit
      log.push(e.listenerCount('x'));
      e.emit('x', 'second'); // b removes the first a
      log.push(e.listenerCount('x'));
      e.removeListener('x', b);
      e.addListener('x', a);
      log.push(e.listenerCount('x'), e.emit('x', 'third'));
    });
    expect(ours).toEqual(node);
    expect(ours.filter((l) => l === 'b')).toHaveLength(2);
  });

  it('announces listeners added (before adding) and removed (after removing), once listeners by the listener given', () => {
    const { node, ours } = both((e, log) => {
      const f = () => log.push('f');
      e.on('newListener', (event: string, l: unknown) => log.push(['new', event, e.listenerCount(event), l === f]));
      e.on('removeListener', (event: string, l: unknown) =>
        log.push(['removed', event, e.listenerCount(event), l === f]),
      );
      e.once('x', f);
      e.emit('x'); // the once listener's removal is announced before it runs
      e.on('x', f);
      e.off('x', f);
      e.once('y', f);
      e.off('y', f);
    });
    expect(ours).toEqual(node);
    expect(ours.slice(0, 4)).toEqual([
      ['new', 'removeListener', 0, false],
      ['new', 'x', 0, true],
      ['removed', 'x', 0, true],
      'f',
    ]);
  });

  it('announces a once listener that removes itself by the listener given, among others too', () => {
    // (Node announces its internal wrapper in this case; the listener given is what a caller can compare with.)
    const e = new Emitter();
    const removed: unknown[] = [];
    const f = () => {};
    const g = () => {};
    e.on('x', g);
    e.once('x', f);
    e.on('removeListener', (_event: string, l: unknown) => removed.push(l));
    e.emit('x');
    expect(removed).toEqual([f]);
    expect(e.listenerCount('x')).toBe(1);
  });

  it('removes all listeners of one event or of every event, announcing each, removeListener listeners last', () => {
    const { node, ours } = both((e, log) => {
      const f = () => {};
      const g = () => {};
      e.on('x', f);
      e.on('x', g);
      e.on('y', f);
      e.on('removeListener', (event: string, l: unknown) => log.push([event, l === f ? 'f' : l === g ? 'g' : '?']));
      e.removeAllListeners('x');
      log.push(e.listenerCount('x'), e.listenerCount('y'));
      e.on('x', g);
      e.removeAllListeners();
      log.push(e.listenerCount('x'), e.listenerCount('y'), e.listenerCount('removeListener'));
    });
    expect(ours).toEqual(node);
    expect(ours.slice(0, 2)).toEqual([
      ['x', 'g'],
      ['x', 'f'],
    ]);
  });

  it('throws an error emitted with no listener, and hands it to a listener when there is one', () => {
    const e = new Emitter();
    const boom = new Error('boom');
    expect(() => e.emit('error', boom)).toThrow(boom);
    expect(() => e.emit('error', 'text')).toThrow(/Unhandled error: text/);
    const seen: unknown[] = [];
    e.on('error', (err: unknown) => seen.push(err));
    expect(e.emit('error', boom)).toBe(true);
    expect(seen).toEqual([boom]);
  });

  it('lets a throwing listener stop the emit and reach the caller', () => {
    const { node, ours } = both((e, log) => {
      e.on('x', () => {
        throw new Error('listener failed');
      });
      e.on('x', () => log.push('after'));
      try {
        e.emit('x');
      } catch (err) {
        log.push((err as Error).message);
      }
    });
    expect(ours).toEqual(['listener failed']);
    expect(ours).toEqual(node);
  });

  it('refuses a listener that is not a function, and lists listeners and event names', () => {
    const e = new Emitter();
    expect(() => e.on('x', 'nope' as never)).toThrow(TypeError);
    const f = () => {};
    const g = () => {};
    e.on('x', f).once('x', g).on('y', f);
    expect(e.listeners('x')).toEqual([f, g]);
    expect(e.eventNames()).toEqual(['x', 'y']);
    e.off('x', f).off('x', g);
    expect(e.eventNames()).toEqual(['y']);
  });
});
