import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isTollgateError } from '@tollgate/core';
import { CheckpointError } from '../import/checkpoint.js';
import { runImport, STOP_GRACE_MS } from '../import/engine.js';
import { STIGG_IMPORT_LIMITS, type ImportOptions } from '../import/options.js';
import { ProgressView, type ImportEvent } from '../import/progress.js';
import { InputFileError } from '../import/read/json-records.js';
import type { ImportFiles } from '../import/read/sources.js';
import type { Entity } from '../import/records.js';
import { Interrupted } from '../import/send/retry.js';
import { describeSummary } from '../import/summary.js';
import { EXIT, UsageError, type CliIo } from '../io.js';

export const IMPORT_HELP = `tollgate import: move customers, subscriptions and usage into Stigg

Usage:
  tollgate import --customers customers.json --subscriptions subscriptions.json --usage usage.json [options]

Input (Stigg's documented files, plain JSON; any subset; each may be repeated):
  --customers FILE       { "customers": [ { "customerId": ... } ] }
  --subscriptions FILE   { "subscriptions": [ ... ] } (also free-subscriptions.json, custom-subscriptions.json)
  --usage FILE           { "usages": [ ... ] }, imported with updateBehavior SET: a re-run leaves usage as it is
  --legacy FILE          the older single file: customers with "subscription" and "featuresUsage"

Target:
  --api-key KEY          Stigg server API key (default: $STIGG_SERVER_API_KEY; never printed)
  --base-url URL         Stigg API (default https://api.stigg.io; stigg-local: http://127.0.0.1:4100)

Run:
  --dry-run              validate everything and list every invalid record; send no write
  --resume               continue an interrupted run from its checkpoint; confirmed batches are not sent again
                         (with --retry-failed: an interrupted retry)
  --retry-failed         import again only the records of the error report (--errors), e.g. after fixing them
  --checkpoint FILE      confirmed batches (default tollgate-import.checkpoint.json)
  --errors FILE          every invalid or failed record, one JSON line each (default tollgate-import-errors.jsonl)
  --report FILE          write the summary as JSON (per kind: created, updated, unchanged, skipped, failed, ...)
  --concurrency N        requests in flight (default 4; subscription imports run one at a time)
  --rate N|off           requests per minute per operation (default Stigg's: ${STIGG_IMPORT_LIMITS.requestsPerMinute.customers} customers,
                         ${STIGG_IMPORT_LIMITS.requestsPerMinute.subscriptions} subscriptions, ${STIGG_IMPORT_LIMITS.requestsPerMinute.usage} usage; off: as fast as Stigg answers)
  --max-retries N        replays of a request after a rate limit, 5xx or network error (default 10)
  --progress MODE        auto (a bar on a terminal, plain lines otherwise), bar, plain or none (default auto)
  -h, --help             this help

Exit codes:
  0    everything imported (dry run: every record valid)
  1    some records failed or were invalid: each is in the error report with file, index, key and reason
  2    bad arguments
  3    an input file cannot be read, is not a regular file, not UTF-8 or not plain JSON (nothing was sent);
       dry run: invalid records found
  4    Stigg refused the API key
  5    the checkpoint cannot be used (--resume without one, input changed, an interrupted run in the way)
  6    Stigg could not be reached within the retries: run again with --resume
  130  interrupted (Ctrl-C, SIGTERM; requests in flight get ${STOP_GRACE_MS / 1000} s to be confirmed): run again with --resume`;

const SHOWN_FAILURES = 20;

export async function runImportCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      customers: { type: 'string', multiple: true },
      subscriptions: { type: 'string', multiple: true },
      usage: { type: 'string', multiple: true },
      legacy: { type: 'string', multiple: true },
      'api-key': { type: 'string' },
      'base-url': { type: 'string' },
      'dry-run': { type: 'boolean' },
      resume: { type: 'boolean' },
      'retry-failed': { type: 'boolean' },
      checkpoint: { type: 'string' },
      errors: { type: 'string' },
      report: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      'max-retries': { type: 'string' },
      progress: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(IMPORT_HELP);
    return EXIT.ok;
  }
  const env = io.env ?? process.env;
  const apiKey = values['api-key'] ?? env.STIGG_SERVER_API_KEY;
  if (!apiKey) throw new UsageError('no API key: set STIGG_SERVER_API_KEY or pass --api-key');
  const errorsFile = values.errors ?? 'tollgate-import-errors.jsonl';
  const files: ImportFiles = {
    customers: values.customers,
    subscriptions: values.subscriptions,
    usage: values.usage,
    legacy: values.legacy,
  };
  const given = Object.values(files).some((f) => f?.length);
  // The report being retried is moved beside the new one, which lists what fails this time.
  let retrying: { report: string; previous: string } | null = null;
  if (values['retry-failed']) {
    if (given)
      throw new UsageError('--retry-failed imports the records of the error report only; give no input files with it');
    const previous = errorsFile.replace(/(\.jsonl)?$/, '.retried.jsonl');
    if (values.resume && !existsSync(previous))
      throw new UsageError(`--retry-failed --resume: there is no ${previous} of an interrupted retry`);
    if (!values.resume) {
      if (!existsSync(errorsFile)) throw new UsageError(`--retry-failed: there is no error report at ${errorsFile}`);
      retrying = { report: errorsFile, previous };
    }
    files.retry = [previous];
  } else if (!given) throw new UsageError('nothing to import: give --customers, --subscriptions, --usage or --legacy');

  const whole = (name: string, text: string | undefined, min: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`${name} must be a whole number of at least ${min}, got "${text}"`);
    return n;
  };
  let requestsPerMinute: ImportOptions['requestsPerMinute'];
  if (values.rate !== undefined) {
    const rate = values.rate === 'off' ? 0 : whole('--rate', values.rate, 1)!;
    requestsPerMinute = { customers: rate, subscriptions: rate, usage: rate };
  }
  const mode = values.progress ?? 'auto';
  if (!['auto', 'bar', 'plain', 'none'].includes(mode))
    throw new UsageError(`--progress must be auto, bar, plain or none, got "${mode}"`);
  const status = io.status ?? { write: (t: string) => io.err(t.replace(/\n$/, '')), isTTY: false };
  const view =
    mode === 'none' ? null : new ProgressView(status.write, mode === 'bar' || (mode === 'auto' && status.isTTY));

  const dryRun = !!values['dry-run'];
  let failures = 0;
  let sending = false;
  const onEvent = (event: ImportEvent) => {
    view?.handle(event);
    if (event.type === 'phase' && event.phase !== 'validate' && event.phase !== 'lookup') sending = true;
    if (event.type === 'record-failed') {
      failures++;
      if (dryRun || failures <= SHOWN_FAILURES) {
        view?.clear();
        io.err(`${event.file} #${event.index}${event.key ? ` (${event.key})` : ''}: ${event.code}: ${event.reason}`);
      } else if (failures === SHOWN_FAILURES + 1) io.err(`... more failed records are in ${errorsFile}`);
    }
  };

  const checkpointFile = values.checkpoint ?? 'tollgate-import.checkpoint.json';
  const controller = new AbortController();
  void io.untilStopped().then((signal) => {
    view?.clear();
    io.err(
      `tollgate import: ${signal}: stopping (requests in flight have ${STOP_GRACE_MS / 1000} s to be confirmed); run again with --resume to continue`,
    );
    controller.abort();
  });

  const concurrency = whole('--concurrency', values.concurrency, 1);
  const maxRetries = whole('--max-retries', values['max-retries'], 0);
  if (retrying) renameSync(retrying.report, retrying.previous);
  let summary: Awaited<ReturnType<typeof runImport>>;
  try {
    summary = await runImport({
      apiKey,
      baseUrl: values['base-url'],
      files,
      dryRun,
      resume: !!values.resume,
      checkpointFile,
      errorsFile,
      concurrency,
      requestsPerMinute,
      retry: { maxRetries },
      signal: controller.signal,
      onEvent,
    });
  } catch (err) {
    view?.clear();
    // Stopped before sending: the report being retried goes back where it was, to be retried again.
    if (retrying && !sending) renameSync(retrying.previous, retrying.report);
    if (err instanceof InputFileError) {
      io.err(`tollgate import: ${err.message}\nNothing was sent.`);
      return EXIT.invalidInput;
    }
    if (err instanceof Interrupted) {
      io.err('tollgate import: interrupted before anything was sent');
      return EXIT.interrupted;
    }
    if (err instanceof CheckpointError) {
      io.err(`tollgate import: ${err.message}`);
      return EXIT.checkpoint;
    }
    if (err instanceof RangeError) throw new UsageError(err.message);
    if (isTollgateError(err) && err.code === 'UNAUTHENTICATED') {
      io.err('tollgate import: Stigg refused the API key (check STIGG_SERVER_API_KEY or --api-key, and --base-url)');
      return EXIT.unauthenticated;
    }
    if (isTollgateError(err) && (err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED')) {
      const started = !dryRun && existsSync(checkpointFile);
      io.err(
        `tollgate import: ${err.message}; ${started ? 'run again with --resume once Stigg answers' : 'nothing was sent; run again once Stigg answers'}`,
      );
      return EXIT.unreachable;
    }
    throw err;
  }
  view?.clear();
  if (values.report) writeFileSync(values.report, `${JSON.stringify(summary, null, 2)}\n`);
  const invalid = sum(summary.entities, 'invalid');
  const failed = sum(summary.entities, 'failed');
  io.out(
    `${dryRun ? 'Dry run (nothing sent)' : summary.interrupted ? 'Interrupted' : 'Imported'} in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.throughput.toLocaleString('en-US')} records/s, into ${summary.baseUrl}:`,
  );
  for (const line of describeSummary(summary)) io.out(line);
  if (invalid + failed > 0 && summary.errorsFile)
    io.out(
      `${(invalid + failed).toLocaleString('en-US')} records are in ${summary.errorsFile} (file, index, key, reason, record)`,
    );
  if (summary.interrupted) return EXIT.interrupted;
  if (dryRun) return invalid > 0 ? EXIT.invalidInput : EXIT.ok;
  return invalid + failed > 0 ? EXIT.failed : EXIT.ok;
}

function sum(entities: Record<Entity, { invalid: number; failed: number }>, field: 'invalid' | 'failed'): number {
  return Object.values(entities).reduce((n, e) => n + e[field], 0);
}
