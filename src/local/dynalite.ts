import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** A DynamoDB-compatible endpoint on 127.0.0.1, for tests (in memory) and the local default (on disk). */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite in this process on a free port chosen by the OS and reports the port it
 * really got (its CLI's `--port 0` silently means 4567). Tables become ACTIVE at once.
 */
export async function startDynalite(opts: { path?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
