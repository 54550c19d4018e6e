import { type DocumentNode, Kind } from 'graphql';

/** One open realtime (WebSocket) connection, as `GET /_admin/streams` lists it. */
export interface StreamConnection {
  /** Numbered from 1 in the order connections opened. */
  id: number;
  /** The peer's address and port, e.g. `127.0.0.1:52314`. */
  remoteAddress: string | null;
  connectedAt: string;
  /** Root fields of the subscriptions running on it (`entitlementsUpdated`, `usageUpdated`, ...). */
  subscriptions: string[];
}

interface OpenConnection {
  id: number;
  remoteAddress: string | null;
  connectedAt: string;
  operations: Map<string, string[]>;
}

/** The root fields an operation selects (the named operation, or the first one). */
export function rootFields(document: DocumentNode, operationName?: string | null): string[] {
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return [];
  return operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

/** The open WebSocket connections and what each subscribes to; `changed` is called after each change. */
export class StreamConnections {
  private nextId = 1;
  private readonly open = new Map<object, OpenConnection>();

  constructor(private readonly changed: () => void = () => {}) {}

  opened(socket: object, remote: { address?: string; port?: number }): void {
    const host = remote.address?.includes(':') ? `[${remote.address}]` : remote.address;
    this.open.set(socket, {
      id: this.nextId++,
      remoteAddress: host ? `${host}:${remote.port ?? ''}` : null,
      connectedAt: new Date().toISOString(),
      operations: new Map(),
    });
    this.changed();
  }

  closed(socket: object): void {
    if (this.open.delete(socket)) this.changed();
  }

  subscribed(socket: object, operationId: string, fields: string[]): void {
    const connection = this.open.get(socket);
    if (!connection) return;
    connection.operations.set(operationId, fields);
    this.changed();
  }

  completed(socket: object, operationId: string): void {
    if (this.open.get(socket)?.operations.delete(operationId)) this.changed();
  }

  list(): StreamConnection[] {
    return [...this.open.values()].map((c) => ({
      id: c.id,
      remoteAddress: c.remoteAddress,
      connectedAt: c.connectedAt,
      subscriptions: [...c.operations.values()].flat(),
    }));
  }
}
