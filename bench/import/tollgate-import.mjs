// Benchmark child: one `runImport` of the built @tollgate/cli in a process of its own, as plain JavaScript (no
// TypeScript loader in the process), so the peak memory it reports is the importer's own.
import { runImport } from '@tollgate/cli';

const options = JSON.parse(process.argv[2]);
const started = performance.now();
const summary = await runImport({
  ...options,
  apiKey: 'server-tollgate-local',
  requestsPerMinute: { customers: 0, subscriptions: 0, usage: 0 },
});
const ms = performance.now() - started;
const records = Object.values(summary.entities).reduce((n, e) => n + e.imported, 0);
const failed = Object.values(summary.entities).reduce((n, e) => n + e.failed + e.invalid, 0);
console.log(JSON.stringify({ ms, records, failed, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
