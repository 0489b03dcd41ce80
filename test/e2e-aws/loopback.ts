import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A server key and certificate (PEM) the emulators serve HTTPS with. */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

/** What IAM's `aws:SecureTransport` is for a request: whether it really came over TLS. */
export function secureTransport(req: IncomingMessage): 'true' | 'false' {
  return (req.socket as TLSSocket).encrypted ? 'true' : 'false';
}

/**
 * An emulated service on free loopback ports: plain HTTP always, and HTTPS as well when given a TLS
 * identity (the endpoint the SDK is pointed at is then the HTTPS one, as AWS's are). Both serve the
 * same handler; `aws:SecureTransport` follows the connection a request came in on.
 */
export class LoopbackServer {
  private readonly servers: Server[] = [];
  /** The endpoint clients use: HTTPS when the server has a TLS identity, else plain HTTP. */
  endpoint = '';
  /** The plain-HTTP endpoint (requests on it are not SecureTransport). */
  httpEndpoint = '';

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    private readonly fail: (res: ServerResponse, err: unknown) => void,
    private readonly tls?: TlsIdentity,
  ) {}

  async start(): Promise<string> {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err) => this.fail(res, err));
    };
    const listen = async (server: Server): Promise<string> => {
      this.servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    this.httpEndpoint = `http://${await listen(createServer(listener))}`;
    this.endpoint = this.tls
      ? `https://${await listen(createTlsServer({ key: this.tls.key, cert: this.tls.cert }, listener))}`
      : this.httpEndpoint;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.close(() => r());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers.length = 0;
  }
}
