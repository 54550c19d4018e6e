import { parseArgs } from 'node:util';
import { CatalogError, DEFAULT_API_KEY, startStiggLocal } from '@tollgate/stigg-local';
import { EXIT, UsageError, type CliIo } from '../io.js';

export const LOCAL_HELP = `tollgate local: run stigg-local, a Stigg-compatible server, until SIGINT/SIGTERM

Options:
  --port N          TCP port (default 4100; 0 picks a free one)
  --host HOST       interface to listen on (default 127.0.0.1)
  --api-key KEY     accepted X-API-KEY; repeat for several (default ${DEFAULT_API_KEY})
  --catalog FILE    catalog file, JSON or YAML (default: the demo catalog)
  --data FILE       keep state in FILE across restarts (default: in memory)
  --allow-host NAME answer this Host name too (besides localhost, 127.x, ::1); repeat for several. Needed
                    when listening beyond loopback; other names get 421 (no DNS rebinding)
  --admin-token T   admin calls (/_admin/*) need Authorization: Bearer T
  -h, --help        this help`;

export async function runLocal(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4100' },
      host: { type: 'string', default: '127.0.0.1' },
      'api-key': { type: 'string', multiple: true },
      catalog: { type: 'string' },
      data: { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      'admin-token': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(LOCAL_HELP);
    return EXIT.ok;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
  let server: Awaited<ReturnType<typeof startStiggLocal>>;
  try {
    server = await startStiggLocal({
      port,
      host: values.host,
      apiKeys: values['api-key'],
      catalog: values.catalog,
      dataFile: values.data,
      allowedHosts: values['allow-host'],
      adminToken: values['admin-token'],
      log: io.err,
    });
  } catch (err) {
    if (err instanceof CatalogError) {
      io.err(err.message);
      return EXIT.usage;
    }
    const code = (err as NodeJS.ErrnoException).code;
    io.err(
      `tollgate local: cannot start: ${code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0)` : (err as Error).message}`,
    );
    return EXIT.failed;
  }
  const customKey = !!values['api-key']?.length;
  io.out(`stigg-local is listening on ${server.url}`);
  io.out(`  GraphQL   POST ${server.graphqlUrl}   (header X-API-KEY)`);
  io.out(`  Stream    ${server.wsUrl}/graphql        (graphql-transport-ws)`);
  io.out(`  Edge      GET  ${server.url}/v1/c/{customerId}/entitlements.json`);
  io.out(`  Admin     ${server.url}/_admin/stats`);
  io.out(`  Dashboard ${server.dashboardUrl}`);
  io.out(`  API key   ${customKey ? '(the one given with --api-key)' : DEFAULT_API_KEY}`);
  io.out(`  Catalog   ${values.catalog ?? 'demo (customer-free, customer-pro, customer-enterprise, customer-nosub)'}`);
  io.out(`  State     ${values.data ? `persisted to ${values.data}` : 'in memory'}`);
  io.out('');
  io.out(
    `Try: curl -s ${server.graphqlUrl} -H 'content-type: application/json' -H 'X-API-KEY: ${customKey ? '<your key>' : DEFAULT_API_KEY}' \\`,
  );
  io.out(
    `       -d '{"query":"{ cachedEntitlements(query: {customerId: \\"customer-pro\\"}) { feature { refId } usageLimit currentUsage } }"}'`,
  );
  const signal = await io.untilStopped();
  io.out(`stigg-local: ${signal}, shutting down`);
  await server.close();
  return EXIT.ok;
}
