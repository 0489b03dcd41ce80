import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatedAccount } from './account.js';
import type { Principal } from './iam.js';
import { LoopbackServer, secureTransport, type TlsIdentity } from './loopback.js';

/** Who sent a request and how: what each service's IAM evaluation is given. */
export interface Caller {
  /** The signer of the request (its access key's principal). */
  readonly principal: Principal;
  /** The connection's IAM context: `aws:SecureTransport` is true only for a request over TLS. */
  readonly transport: Record<string, string>;
}

/**
 * An emulated AWS service of the account: its own loopback server (HTTP, and HTTPS with the run's
 * certificate when given one), every request's caller resolved before the service sees it (an
 * unsigned or unknown caller is the service's own error), and whatever the handler throws written
 * in the service's wire format by `fail`.
 */
export abstract class EmulatedService {
  private readonly http: LoopbackServer;
  /** The endpoint clients use: HTTPS when the service has a TLS identity, else plain HTTP. */
  get endpoint(): string {
    return this.http.endpoint;
  }
  /** The plain-HTTP endpoint: requests on it are not `aws:SecureTransport`. */
  get httpEndpoint(): string {
    return this.http.httpEndpoint;
  }

  constructor(
    protected readonly account: EmulatedAccount,
    tls?: TlsIdentity,
  ) {
    this.http = new LoopbackServer(
      // async, so that an unknown caller is a rejection the server answers through `fail`.
      async (req, res) =>
        this.handle(req, res, {
          principal: this.account.callerOf(req),
          transport: { 'aws:SecureTransport': secureTransport(req) },
        }),
      (res, err) => this.fail(res, err),
      tls,
    );
  }

  async start(): Promise<string> {
    return this.http.start();
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void>;

  /** Writes an error the handler threw, as the service does (ServiceError, IAM denial or internal). */
  protected abstract fail(res: ServerResponse, err: unknown): void;
}
