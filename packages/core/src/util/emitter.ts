/**
 * An event emitter with the part of Node's `EventEmitter` API Tollgate uses, on every runtime (no `node:events`):
 * listeners run synchronously, in the order they were added, with the emitter as `this`; `once` listeners are
 * removed before they run; adding a listener announces it as `newListener` (before it is added) and removing one as
 * `removeListener` (after it is removed); an `error` emitted with no listener is thrown, as Node does.
 *
 * Its methods take any event name and arguments, as Node's do: a subclass gives them its event map's types (see
 * `TollgateEmitter`).
 */

// biome-ignore lint/suspicious/noExplicitAny: listeners of an untyped emitter take any arguments, as Node's do
type AnyArgs = any[];
type Name = string | symbol;
type Listener = (...args: AnyArgs) => void;

/** A `once` listener as it is registered: the wrapper, which knows the listener it stands for. */
interface OnceWrapper extends Listener {
  listener: Listener;
}

export class Emitter {
  private readonly listenersByName = new Map<Name, Listener[]>();

  on(event: Name, listener: Listener): this {
    return this.add(event, listener);
  }

  /** The same as `on`. */
  addListener(event: Name, listener: Listener): this {
    return this.add(event, listener);
  }

  /** A listener called at most once: removed before it runs. `off(event, listener)` removes it unrun. */
  once(event: Name, listener: Listener): this {
    const emitter = this;
    const wrapper = function (this: unknown, ...args: AnyArgs) {
      emitter.remove(event, wrapper);
      listener.apply(this, args);
    } as OnceWrapper;
    wrapper.listener = listener;
    return this.add(event, wrapper);
  }

  /** Removes the listener added last among those equal to `listener` (a `once` listener by the listener given). */
  off(event: Name, listener: Listener): this {
    return this.remove(event, listener);
  }

  /** The same as `off`. */
  removeListener(event: Name, listener: Listener): this {
    return this.remove(event, listener);
  }

  /**
   * Calls the event's listeners with `args`, in order; a listener added or removed meanwhile does not change this
   * call. A listener that throws stops the call and the error reaches the caller. True when there were listeners.
   */
  emit(event: Name, ...args: AnyArgs): boolean {
    const list = this.listenersByName.get(event);
    if (!list) {
      if (event === 'error')
        throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    if (list.length === 1) list[0]!.apply(this, args);
    else for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  listenerCount(event: Name): number {
    return this.listenersByName.get(event)?.length ?? 0;
  }

  /** The event's listeners, in order (`once` listeners as given). */
  listeners(event: Name): Listener[] {
    return (this.listenersByName.get(event) ?? []).map((l) => (l as OnceWrapper).listener ?? l);
  }

  eventNames(): Name[] {
    return [...this.listenersByName.keys()];
  }

  /** Removes every listener of `event`, or of every event; each removal is announced as `removeListener`. */
  removeAllListeners(event?: Name): this {
    if (event !== undefined) {
      const list = this.listenersByName.get(event);
      // Last first, as Node does; `removeListener` is told of each while listeners of it are left.
      if (list) for (let i = list.length - 1; i >= 0; i--) this.remove(event, list[i]!);
      return this;
    }
    for (const name of this.eventNames()) if (name !== 'removeListener') this.removeAllListeners(name);
    return this.removeAllListeners('removeListener');
  }

  private add(event: Name, listener: Listener): this {
    if (typeof listener !== 'function')
      throw new TypeError(`The "listener" argument must be a function, got ${typeof listener}`);
    if (this.listenersByName.has('newListener'))
      this.emitAnnouncement('newListener', event, (listener as OnceWrapper).listener ?? listener);
    const list = this.listenersByName.get(event);
    if (list) list.push(listener);
    else this.listenersByName.set(event, [listener]);
    return this;
  }

  private remove(event: Name, listener: Listener): this {
    const list = this.listenersByName.get(event);
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      const registered = list[i]!;
      if (registered !== listener && (registered as OnceWrapper).listener !== listener) continue;
      list.splice(i, 1);
      if (list.length === 0) this.listenersByName.delete(event);
      if (this.listenersByName.has('removeListener'))
        this.emitAnnouncement('removeListener', event, (registered as OnceWrapper).listener ?? registered);
      break;
    }
    return this;
  }

  private emitAnnouncement(name: 'newListener' | 'removeListener', event: Name, listener: Listener): void {
    this.emit(name, event, listener);
  }
}
