/**
 * Values that are there at once on the hot path (a cache hit, units from a block held in process) and a promise
 * otherwise: the hot path then makes no promise and waits for no turn of the event loop.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Whether `value` is a promise (any thenable), rather than the value itself. */
export const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as Promise<T> | null)?.then === 'function';

/** `fn` applied to the value: at once when it is there, after it when it is a promise (then a native one). */
export function andThen<T, R>(value: MaybePromise<T>, fn: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromise(value) ? Promise.resolve(value).then(fn) : fn(value);
}
