import type { Faults } from '../control/faults.js';
import type { RateLimiter } from '../control/rate-limits.js';
import type { Stats } from '../control/stats.js';
import type { Executor } from '../graphql/executor.js';
import type { ExecutionContext } from '../graphql/schema.js';
import type { Store } from '../model/store.js';
import type { StalledRequests } from './stalled-requests.js';

/** Everything a request handler needs; one per running server. */
export interface Runtime {
  store: Store;
  stats: Stats;
  faults: Faults;
  rateLimiter: RateLimiter;
  /** Requests held unanswered by an HTTP stall or a `stall` fault. */
  stalls: StalledRequests;
  executor: Executor;
  apiKeys: ReadonlySet<string>;
  log: (msg: string) => void;
  context(): ExecutionContext;
}
