// Benchmark child: the importer many teams write first. It reads each file whole, then sends one mutation per
// record (importOneCustomer, a one-record importSubscriptionsBulk followed to its end, reportUsage), with the
// same concurrency as ours where Stigg allows it.
import { readFileSync } from 'node:fs';

const { baseUrl, files, limit, concurrency } = JSON.parse(process.argv[2]!) as {
  baseUrl: string;
  files: { customers: string; subscriptions: string; usage: string };
  limit: number;
  concurrency: number;
};
const gql = async (query: string, variables: unknown) => {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'server-tollgate-local' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0]!.message);
  return body.data;
};
const all = <T>(items: T[], width: number, send: (item: T) => Promise<unknown>) =>
  Promise.all(
    Array.from({ length: width }, async (_, w) => {
      for (let i = w; i < items.length; i += width) await send(items[i]!);
    }),
  );

const started = performance.now();
const customers = (JSON.parse(readFileSync(files.customers, 'utf8')).customers as any[]).slice(0, limit);
await all(customers, concurrency, ({ metadata, ...c }) =>
  gql('mutation C($input: ImportCustomerInput!) { importOneCustomer(input: $input) { customerId } }', {
    input: { ...c, additionalMetaData: metadata },
  }),
);
const subscriptions = (JSON.parse(readFileSync(files.subscriptions, 'utf8')).subscriptions as any[]).slice(0, limit);
for (const s of subscriptions) {
  const { importSubscriptionsBulk: id } = await gql(
    'mutation S($input: ImportSubscriptionsBulkInput!) { importSubscriptionsBulk(input: $input) }',
    { input: { subscriptions: [s] } },
  );
  for (;;) {
    const d = await gql(
      'query T($id: UUID!) { importIntegrationTasks(filter: {id: {eq: $id}}) { edges { node { status } } } }',
      { id },
    );
    if (!['PENDING', 'IN_PROGRESS'].includes(d.importIntegrationTasks.edges[0].node.status)) break;
  }
}
const usages = (JSON.parse(readFileSync(files.usage, 'utf8')).usages as any[]).slice(0, limit);
await all(usages, concurrency, (u) =>
  gql('mutation U($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }', {
    input: { customerId: u.customerId, featureId: u.featureId, value: u.usage, updateBehavior: 'SET' },
  }),
);
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, records: customers.length + subscriptions.length + usages.length }));
