/** What `#runtime` resolves to on Node: ws for the stream, the file system, and work that outlives requests. */
import { runtime } from '#runtime';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';

describe('#runtime on Node', () => {
  it("is Node's description: ws's WebSocket, node:fs, not request-scoped", () => {
    expect(runtime.socketClass).toBe(WebSocket);
    expect(runtime.noStream).toBeNull();
    expect(runtime.files).not.toBeNull();
    expect(runtime.requestScoped).toBe(false);
  });
});
