import type { IncomingMessage } from 'node:http';
import {
  AccessDenied,
  type Decision,
  evaluate,
  type PolicyDocument,
  type Principal,
  type Request,
} from './iam.js';

export interface Denial {
  readonly service: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
}

export interface KmsKey {
  readonly arn: string;
  readonly policy: PolicyDocument;
}

/**
 * The emulated account: who is calling (access key → principal), the KMS keys, and every
 * authorization decision. Each service authorizes through here, so a test sees all denials.
 */
export class EmulatedAccount {
  private readonly principals = new Map<string, Principal>();
  private readonly keys = new Map<string, KmsKey>();
  readonly denials: Denial[] = [];
  /** Allowed requests, `service action resource` (the tests check what was exercised). */
  readonly allowed: string[] = [];

  constructor(
    readonly account: string,
    readonly region: string,
  ) {}

  /** Registers credentials (what Lambda gives a function for its role). */
  addPrincipal(accessKeyId: string, principal: Principal): void {
    this.principals.set(accessKeyId, principal);
  }

  principal(accessKeyId: string): Principal | undefined {
    return this.principals.get(accessKeyId);
  }

  addKey(key: KmsKey): void {
    this.keys.set(key.arn, key);
  }

  /** The caller of a SigV4-signed request (Credential=AKID/date/region/service/aws4_request). */
  callerOf(req: IncomingMessage): Principal {
    const auth = String(req.headers.authorization ?? '');
    const m = /Credential=([^/]+)\//.exec(auth);
    if (!m)
      throw new ServiceError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const p = this.principals.get(m[1]!);
    if (!p) throw new ServiceError(403, 'InvalidAccessKeyId', `The access key ${m[1]} does not exist`);
    return p;
  }

  /** Throws AccessDenied unless the request is allowed; records the decision. */
  authorize(service: string, req: Request): void {
    const context = {
      // A service calling another on the caller's behalf (Athena reading S3) does so over TLS; a
      // request from a client carries its own connection's value (loopback.ts: secureTransport).
      'aws:SecureTransport': 'true',
      'aws:PrincipalArn': req.principal.arn,
      'aws:PrincipalAccount': req.principal.account,
      'aws:RequestedRegion': this.region,
      ...req.context,
    };
    const { decision } = evaluate({ ...req, context });
    if (decision === 'Allow') {
      this.allowed.push(`${service} ${req.action} ${req.resource}`);
      return;
    }
    this.denials.push({
      service,
      principal: req.principal.arn,
      action: req.action,
      resource: req.resource,
      decision,
    });
    throw new AccessDenied(
      { principal: req.principal.arn, action: req.action, resource: req.resource },
      decision,
    );
  }

  /** KMS use on the caller's behalf by a service (`kms:ViaService`), checked against the key policy. */
  useKey(service: string, principal: Principal, keyArn: string, action: string): void {
    const key = this.keys.get(keyArn);
    if (!key) throw new ServiceError(400, 'KMS.NotFoundException', `Key '${keyArn}' does not exist`);
    this.authorize('kms', {
      principal,
      action,
      resource: keyArn,
      resourcePolicy: key.policy,
      resourcePolicyRequired: true,
      context: {
        'kms:ViaService': `${service}.${this.region}.amazonaws.com`,
        'kms:CallerAccount': this.account,
      },
    });
  }
}

/** An error a service answers with: HTTP status, AWS error code, message. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What a service answers for whatever its handler threw: a ServiceError as it is, an IAM refusal
 * as the service's own denial, anything else as an internal error — logged, being the emulator's
 * own bug. Each service then writes the error in its wire format.
 */
export function serviceErrorOf(
  err: unknown,
  service: string,
  denial: { status: number; code: string },
  internalCode: string,
): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof AccessDenied) return new ServiceError(denial.status, denial.code, err.message);
  console.error(`${service} emulator`, err);
  return new ServiceError(500, internalCode, err instanceof Error ? err.message : String(err));
}

/** Reads a whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
