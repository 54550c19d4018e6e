// Benchmark child: stigg-local on a free port, with the demo catalog or the catalog file given as argument.
import { startStiggLocal } from '@tollgate/stigg-local';

const server = await startStiggLocal({ port: 0, catalog: process.argv[2] });
console.log(JSON.stringify({ url: server.url }));
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
