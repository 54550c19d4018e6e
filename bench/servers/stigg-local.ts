// Benchmark child: stigg-local with the demo catalog on a free port.
import { startStiggLocal } from '@tollgate/stigg-local';

const server = await startStiggLocal({ port: 0 });
console.log(JSON.stringify({ url: server.url }));
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
