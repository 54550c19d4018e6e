import { closeSync, openSync, writeSync } from 'node:fs';
import { isTollgateError, subscriptionKey, type ImportTask, type StiggCatalog } from '@tollgate/core';
import { Checkpoint, fingerprintOf } from './checkpoint.js';
import { InputIndex } from './input-index.js';
import { resolveImportOptions, type ImportOptions } from './options.js';
import { MAX_RECORD_DEPTH, type ReadOptions } from './read/json-records.js';
import { assertRegularFiles } from './read/regular-file.js';
import { hasSource, recordsOf, type SourceRecord } from './read/sources.js';
import { ENTITIES, keyOf, type Entity, type EntityInput } from './records.js';
import { Interrupted, isReplayable, Pacer, pause, withRetries } from './send/retry.js';
import { emptySummary, type EntitySummary, type ImportSummary } from './summary.js';

interface BatchRecord<E extends Entity = Entity> {
  input: EntityInput[E];
  source: SourceRecord;
}

/** A line of the error report: enough to find the record, and the record itself, so the file can be imported again. */
interface Failure {
  entity: Entity;
  file: string;
  index: number;
  key: string;
  phase: 'validate' | 'send' | 'task';
  code: string;
  reason: string;
  record: unknown;
}

/** What one batch did; applied to the summary when the batch is confirmed, so the checkpoint never counts twice. */
class Tally {
  imported = 0;
  created = 0;
  updated = 0;
  unchanged = 0;
  skipped = 0;
  existing = 0;
  breakdownKnown = true;
  requests = 0;
  retries = 0;
  readonly failures: Failure[] = [];
}

const codeOf = (err: unknown) => (isTollgateError(err) ? (err.stiggCode ?? err.code) : 'ERROR');
const isFatal = (err: unknown) =>
  err instanceof Interrupted || (isTollgateError(err) && err.code === 'UNAUTHENTICATED');
const TERMINAL: ReadonlySet<ImportTask['status']> = new Set(['COMPLETED', 'PARTIALLY_FAILED', 'FAILED', 'CANCELED']);
const CUSTOMER_ANSWER = /(\d+) created, (\d+) updated, (\d+) unchanged, (\d+) skipped/;

/** How record sizes (and so batch boundaries) are counted: a checkpoint that counted otherwise is not resumed. */
const SIZES_IN = 'utf8-bytes';

/** After a stop, how long the writes in flight may take to be confirmed before they are left unanswered. */
export const STOP_GRACE_MS = 1000;

/**
 * Imports customers, then subscriptions, then usage into Stigg: validates every record first (nothing is sent
 * when a file cannot be read), then streams each kind in batches within Stigg's limits, records each confirmed
 * batch in the checkpoint and each refused record in the error report. Returns the summary; throws
 * `InputFileError` (unreadable input), `CheckpointError`, `Interrupted` (stopped before anything was sent), or a
 * `TollgateError`: `UNAUTHENTICATED`, or `UNAVAILABLE` / `RATE_LIMITED` when Stigg could not be reached within the
 * retries (the checkpoint is kept).
 */
export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const o = resolveImportOptions(options);
  const inputFiles = [
    ...new Set(
      Object.values(o.files)
        .flat()
        .filter((f): f is string => typeof f === 'string'),
    ),
  ];
  assertRegularFiles(inputFiles);
  const started = Date.now();
  const fresh = emptySummary({ dryRun: o.dryRun, baseUrl: o.baseUrl, errorsFile: o.errorsFile }, new Date(started));
  const readPacer = new Pacer(0);
  // Stops reading, waits, retries and reads of Stigg: the caller's signal (Ctrl-C), or a failure that ends the run.
  const halt = new AbortController();
  // Stops waiting for the writes in flight: the caller's signal, once they had STOP_GRACE_MS to be confirmed.
  const abandon = new AbortController();
  if (o.signal?.aborted) {
    halt.abort();
    abandon.abort();
  }
  o.signal?.addEventListener(
    'abort',
    () => {
      halt.abort();
      // Unref'd: with nothing in flight, nothing is left to abandon.
      setTimeout(() => abandon.abort(), STOP_GRACE_MS).unref();
    },
    { once: true },
  );
  const read = <T>(call: () => Promise<T>) => withRetries(call, o.retry, readPacer, halt.signal, () => {});
  const reading: ReadOptions = { maxDepth: MAX_RECORD_DEPTH, maxBytes: o.maxBatchBytes, signal: halt.signal };
  const entities = ENTITIES.filter((e) => hasSource(e, o.files));

  // Stigg's catalog: what plans, add-ons and features records may name. Also proves the key before anything else.
  const catalog: StiggCatalog = await read(() => o.client.catalog());

  // The validation pass.
  const index = new InputIndex(catalog);
  let validated = 0;
  const expected: Record<Entity, number> = { customers: 0, subscriptions: 0, usage: 0 };
  o.emit({ type: 'phase', phase: 'validate', total: 0 });
  for (const entity of entities) {
    for await (const rec of recordsOf(entity, o.files, reading)) {
      if (halt.signal.aborted) throw new Interrupted();
      if (index.learn(rec).ok) expected[entity]++;
      if (++validated % 10_000 === 0) o.emit({ type: 'progress', phase: 'validate', done: validated, total: 0 });
    }
  }
  o.emit({ type: 'phase-done', phase: 'validate', done: validated });

  // Customers named by subscriptions that the files do not define: does Stigg have them?
  if (index.referenced.size > 0) {
    o.emit({ type: 'phase', phase: 'lookup', total: index.referenced.size });
    const pending = [...index.referenced];
    await Promise.all(
      Array.from({ length: Math.min(8, pending.length) }, async () => {
        for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
          if (!(await read(() => o.client.customerExists(id!)))) index.missingCustomers.add(id);
        }
      }),
    );
  }

  const checkpoint =
    o.dryRun || !o.checkpointFile
      ? Checkpoint.none(fresh)
      : Checkpoint.open(
          o.checkpointFile,
          fingerprintOf(inputFiles, [o.baseUrl, o.batchSize, o.maxBatchBytes, SIZES_IN]),
          o.resume,
          fresh,
        );
  const summary = checkpoint.summary;
  summary.dryRun = o.dryRun;
  summary.interrupted = false;
  for (const e of ENTITIES) {
    summary.entities[e].records = 0;
    summary.entities[e].invalid = 0;
  }

  const errorsFd = o.errorsFile ? openSync(o.errorsFile, o.resume ? 'a' : 'w') : null;
  const writeFailures = (failures: Failure[]) => {
    for (const f of failures) {
      if (errorsFd !== null) writeSync(errorsFd, `${JSON.stringify(f)}\n`);
      o.emit({
        type: 'record-failed',
        entity: f.entity,
        file: f.file,
        index: f.index,
        key: f.key,
        code: f.code,
        reason: f.reason,
      });
    }
  };
  // On --resume the validation failures were reported by the earlier run; they are counted, not written again.
  const reportInvalid = !o.resume;

  try {
    for (const entity of entities) {
      if (halt.signal.aborted) break;
      await importEntity(entity);
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
  } finally {
    if (errorsFd !== null) closeSync(errorsFd);
  }
  summary.interrupted = !!o.signal?.aborted;
  summary.durationMs = Date.now() - started;
  const handled = ENTITIES.reduce((sum, e) => sum + summary.entities[e].records, 0);
  summary.throughput = Math.round((handled / Math.max(1, summary.durationMs)) * 1000);
  if (summary.interrupted) checkpoint.save();
  else if (!o.dryRun) checkpoint.finish();
  return summary;

  async function importEntity(entity: Entity): Promise<void> {
    const s = summary.entities[entity];
    const pacer = new Pacer(o.requestsPerMinute[entity]);
    const limit = o.batchSize[entity];
    const inFlight = new Set<Promise<void>>();
    const busyCustomers = new Map<string, Promise<void>>();
    const width = entity === 'subscriptions' ? 1 : o.concurrency;
    let fatal: unknown = null;
    let batchNo = 0;
    let batch: BatchRecord[] = [];
    let bytes = 0;
    let settled = 0;
    o.emit({ type: 'phase', phase: entity, total: expected[entity] });
    const progress = () => o.emit({ type: 'progress', phase: entity, done: settled, total: expected[entity] });

    const dispatch = async (records: BatchRecord[]) => {
      const no = batchNo++;
      if (checkpoint.isDone(entity, no)) {
        s.resumed += records.length;
        settled += records.length;
        return;
      }
      if (o.dryRun) {
        settled += records.length;
        return;
      }
      while (inFlight.size >= width) await Promise.race(inFlight);
      if (halt.signal.aborted) return;
      // Never one customer in two requests in flight: wait for the batches holding any of this batch's customers.
      const customers = new Set(records.map((r) => r.input.customerId));
      const holding = new Set([...customers].flatMap((c) => busyCustomers.get(c) ?? []));
      if (holding.size > 0) await Promise.all(holding);
      if (halt.signal.aborted) return;
      const tally = new Tally();
      const work = (
        entity === 'subscriptions' ? deliverSubscriptions(no, records, tally) : deliver(entity, records, tally)
      )
        .then(() => {
          apply(s, tally, records.length);
          writeFailures(tally.failures);
          checkpoint.markDone(entity, no);
          settled += records.length;
          progress();
        })
        .catch((err: unknown) => {
          // The first failure that ends the run stops the others' retries; their requests in flight still finish.
          if (!(err instanceof Interrupted)) fatal ??= err;
          halt.abort();
        })
        .finally(() => {
          inFlight.delete(work);
          for (const c of customers) if (busyCustomers.get(c) === work) busyCustomers.delete(c);
        });
      inFlight.add(work);
      for (const c of customers) busyCustomers.set(c, work);
    };

    try {
      for await (const rec of recordsOf(entity, o.files, reading)) {
        if (halt.signal.aborted) break;
        s.records++;
        const verdict = index.judge(rec);
        if (!verdict.ok) {
          s.invalid++;
          if (reportInvalid || o.dryRun) {
            writeFailures([
              {
                entity,
                file: rec.file,
                index: rec.index,
                key: keyOf(entity, rec.record),
                phase: 'validate',
                ...verdict.problem,
                record: rec.record,
              },
            ]);
          }
          continue;
        }
        const size = rec.size + 1;
        if (batch.length > 0 && (batch.length >= limit || bytes + size > o.maxBatchBytes)) {
          await dispatch(batch);
          batch = [];
          bytes = 0;
        }
        batch.push({ input: verdict.input, source: rec });
        bytes += size;
      }
      if (batch.length > 0 && !halt.signal.aborted) await dispatch(batch);
    } catch (err) {
      // Reading stopped by the halt: what ended the run is said below.
      if (!(err instanceof Interrupted)) throw err;
    } finally {
      // Whatever ends the phase, nothing it sent is left running behind it.
      while (inFlight.size > 0) await Promise.race(inFlight);
    }
    if (fatal) throw fatal;
    if (halt.signal.aborted) throw new Interrupted();
    checkpoint.save();
    o.emit({ type: 'phase-done', phase: entity, done: settled });

    /** One request of this phase: paced, replayed when safe, counted in the batch's tally. */
    function paced<T>(tally: Tally, call: () => Promise<T>): Promise<T> {
      return withRetries(
        () => {
          tally.requests++;
          return call();
        },
        o.retry,
        pacer,
        halt.signal,
        (err, delayMs) => {
          tally.retries++;
          o.emit({ type: 'retry', phase: entity, reason: err.message, delayMs });
        },
        abandon.signal,
      );
    }

    /**
     * Sends records with `attempt`. A request Stigg refuses as a whole (a validation error, never replayed) is split
     * in halves until the records at fault are found; what still fails is reported, the rest is imported.
     */
    async function splitOnRefusal(
      records: BatchRecord[],
      tally: Tally,
      attempt: (part: BatchRecord[]) => Promise<void>,
    ): Promise<void> {
      try {
        await attempt(records);
      } catch (err) {
        // A replayable failure that outlasted every retry means Stigg cannot be reached: the run stops, and what was
        // not confirmed waits for --resume instead of being reported as failed record by record.
        if (isFatal(err) || isReplayable(err)) throw err;
        if (records.length > 1) {
          const half = records.length >> 1;
          await splitOnRefusal(records.slice(0, half), tally, attempt);
          await splitOnRefusal(records.slice(half), tally, attempt);
          return;
        }
        for (const r of records) tally.failures.push(failure(entity, r, 'send', codeOf(err), (err as Error).message));
      }
    }

    function deliver(kind: Entity, records: BatchRecord[], tally: Tally): Promise<void> {
      return splitOnRefusal(records, tally, async (part) => {
        if (kind === 'usage') {
          await paced(tally, () => o.client.setUsage(part.map((r) => r.input as EntityInput['usage'])));
        } else {
          const answer = await paced(tally, () =>
            o.client.importCustomers(part.map((r) => r.input as EntityInput['customers'])),
          );
          const m = typeof answer === 'string' ? CUSTOMER_ANSWER.exec(answer) : null;
          if (m) {
            tally.created += Number(m[1]);
            tally.updated += Number(m[2]);
            tally.unchanged += Number(m[3]);
            tally.skipped += Number(m[4]);
          } else tally.breakdownKnown = false;
        }
        tally.imported += part.length;
      });
    }

    /**
     * Subscription import tasks: which of the records Stigg already has is read first; each task is started (the
     * batch's task id kept in the checkpoint, so a resumed run follows it rather than sending again), followed to its
     * end, and its errors mapped back to the records.
     */
    async function deliverSubscriptions(no: number, records: BatchRecord[], tally: Tally): Promise<void> {
      const inputsOf = (part: BatchRecord[]) => part.map((r) => r.input as EntityInput['subscriptions']);
      const pending = checkpoint.pendingTask('subscriptions', no);
      if (pending) return settleTask(records, pending, null, tally);
      const started: {
        part: BatchRecord[];
        task: { batch: number; taskId: string; created: number; existing: number };
        present: boolean[];
      }[] = [];
      await splitOnRefusal(records, tally, async (part) => {
        const inputs = inputsOf(part);
        const before = await read(() => o.client.activeSubscriptionKeys([...new Set(inputs.map((i) => i.customerId))]));
        const present = inputs.map((i) => before.has(subscriptionKey(i.customerId, i.resourceId, i.planId)));
        const taskId = await paced(tally, () => o.client.importSubscriptions(inputs));
        const existing = present.filter(Boolean).length;
        const task = { batch: no, taskId, created: part.length - existing, existing };
        if (part.length === records.length) checkpoint.startedTask('subscriptions', task);
        started.push({ part, task, present });
      });
      for (const { part, task, present } of started) await settleTask(part, task, present, tally);
    }

    /** Follows a task to its end and counts its records; `present` is null when a resumed run took over the task. */
    async function settleTask(
      records: BatchRecord[],
      task: { taskId: string; existing: number },
      present: boolean[] | null,
      tally: Tally,
    ): Promise<void> {
      const done = await follow(task.taskId);
      const failed = new Set<number>();
      for (const e of done?.importErrors ?? []) {
        const m = /^(\d+):/.exec(e.id);
        let at = m ? Number(m[1]) : -1;
        if (!(at >= 0 && at < records.length))
          at = records.findIndex((r, n) => !failed.has(n) && e.id.endsWith(r.input.customerId));
        if (at < 0) continue;
        const split = /^([A-Za-z]+): ([\s\S]*)$/.exec(e.error);
        failed.add(at);
        tally.failures.push(
          failure('subscriptions', records[at]!, 'task', split?.[1] ?? 'ImportError', split?.[2] ?? e.error),
        );
      }
      if (!done || done.status === 'CANCELED') {
        records.forEach((r, n) => {
          if (failed.has(n)) return;
          failed.add(n);
          const reason = `import task ${task.taskId} ${done ? 'was canceled' : 'is no longer known to Stigg'}`;
          tally.failures.push(failure('subscriptions', r, 'task', done ? 'TASK_CANCELED' : 'TASK_LOST', reason));
        });
      }
      const imported = records.length - failed.size;
      tally.imported += imported;
      if (present) {
        present.forEach((was, n) => {
          if (failed.has(n)) return;
          if (was) tally.existing++;
          else tally.created++;
        });
      } else {
        // Resumed: which records Stigg already had was read before the task started.
        const existing = Math.min(imported, task.existing);
        tally.existing += existing;
        tally.created += imported - existing;
      }
    }

    async function follow(taskId: string): Promise<ImportTask | null> {
      let wait = o.taskPoll.first;
      for (;;) {
        await pause(wait, halt.signal);
        wait = Math.min(o.taskPoll.max, wait * 1.5);
        const task = await read(() => o.client.importTask(taskId));
        if (!task || TERMINAL.has(task.status)) return task;
      }
    }
  }

  function apply(s: EntitySummary, t: Tally, size: number) {
    s.imported += t.imported;
    s.failed += size - t.imported;
    s.requests += t.requests;
    s.retries += t.retries;
    const add = (k: 'created' | 'updated' | 'unchanged' | 'skipped', v: number) => {
      if (s[k] !== null) s[k] = (s[k] as number) + v;
    };
    if (!t.breakdownKnown) s.created = s.updated = s.unchanged = s.skipped = null;
    add('created', t.created);
    add('updated', t.updated);
    add('unchanged', t.unchanged);
    add('skipped', t.skipped);
    if (s.existing !== undefined) s.existing += t.existing;
  }

  function failure(entity: Entity, r: BatchRecord, phase: Failure['phase'], code: string, reason: string): Failure {
    return {
      entity,
      file: r.source.file,
      index: r.source.index,
      key: keyOf(entity, r.source.record),
      phase,
      code,
      reason,
      record: r.source.record,
    };
  }
}
