/**
 * Benchmark child: the floor to compare stigg-local against. node:http + graphql-js with the same parse/validate
 * cache, answering the same documents from canned values: what is left is the cost of stigg-local's resolvers.
 */
import { createServer } from 'node:http';
import { buildSchema, execute, parse, validate, type DocumentNode } from 'graphql';

const schema = buildSchema(`
  type Feature { refId: String! featureType: String! meterType: String displayName: String! }
  type Entitlement { isGranted: Boolean! accessDeniedReason: String customerId: String usageLimit: Float
    hasUnlimitedUsage: Boolean! hasSoftLimit: Boolean currentUsage: Float enumValues: [String!]
    usagePeriodStart: String usagePeriodEnd: String resetPeriod: String feature: Feature }
  type UsageMeasurementWithCurrentUsage { id: String! customerId: String! featureId: String! currentUsage: Float timestamp: String! }
  input FetchEntitlementsQuery { customerId: String! resourceId: String }
  input ReportUsageBaseInput { customerId: String! featureId: String! value: Float! idempotencyKey: String }
  input ReportUsageBulkInput { usages: [ReportUsageBaseInput!]! }
  type Query { cachedEntitlements(query: FetchEntitlementsQuery!): [Entitlement!]! }
  type Mutation { reportUsageBulk(input: ReportUsageBulkInput!): [UsageMeasurementWithCurrentUsage!]! }
`);
const entitlement = (refId: string) => ({
  isGranted: true,
  accessDeniedReason: null,
  customerId: 'customer-pro',
  usageLimit: 100,
  hasUnlimitedUsage: false,
  hasSoftLimit: false,
  currentUsage: 0,
  enumValues: null,
  usagePeriodStart: null,
  usagePeriodEnd: null,
  resetPeriod: null,
  feature: { refId, featureType: 'NUMBER', meterType: 'Incremental', displayName: refId },
});
const canned = ['a', 'b', 'c', 'd', 'e'].map(entitlement);
const root = {
  cachedEntitlements: () => canned,
  reportUsageBulk: ({ input }: { input: { usages: { customerId: string; featureId: string; value: number }[] } }) =>
    input.usages.map((u) => ({
      id: 'ack',
      customerId: u.customerId,
      featureId: u.featureId,
      currentUsage: u.value,
      timestamp: new Date().toISOString(),
    })),
};
const documents = new Map<string, DocumentNode>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables?: Record<string, unknown>;
    };
    let document = documents.get(body.query);
    if (!document) {
      document = parse(body.query);
      if (validate(schema, document).length) throw new Error('invalid document');
      documents.set(body.query, document);
    }
    const result = execute({ schema, document, rootValue: root, variableValues: body.variables });
    const text = JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
