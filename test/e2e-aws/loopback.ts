import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An emulated service's HTTP server on a free loopback port; what its SDK endpoint points at. */
export class LoopbackServer {
  private server?: Server;
  endpoint = '';

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    private readonly fail: (res: ServerResponse, err: unknown) => void,
  ) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.fail(res, err));
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
