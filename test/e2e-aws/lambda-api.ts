import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import type { Principal } from './iam.js';
import { type FunctionSpec, type Invocation, invoke } from './lambda.js';
import type { TlsIdentity } from './loopback.js';
import { type Caller, EmulatedService } from './service.js';

/** What a synchronous invocation returns: the payload, or the function's error as Lambda reports it. */
export interface InvokeResult {
  readonly payload: unknown;
  /** `Unhandled` when the handler threw (Lambda's X-Amz-Function-Error). */
  readonly functionError?: 'Unhandled';
  readonly logs: string;
}

/** The payload Lambda returns for a handler that threw. */
function errorPayload(r: Invocation): unknown {
  return {
    errorType: r.error?.name ?? 'Error',
    errorMessage: r.error?.message ?? '',
    trace: (r.error?.stack ?? '').split('\n'),
  };
}

/**
 * Lambda's Invoke API over HTTP (`POST /2015-03-31/functions/{name}/invocations`, RequestResponse,
 * optional log tail), running the deployed bundle cold in a worker (lambda.ts). The caller needs
 * `lambda:InvokeFunction` on the function's ARN; a function is named by name or ARN, as on AWS. A
 * handler that throws is a 200 with `X-Amz-Function-Error: Unhandled` and the error payload.
 */
export class LambdaEmulator extends EmulatedService {
  /** Every invocation, in order: function name and event (tests check what ran). */
  readonly invocations: { name: string; event: unknown; ok: boolean }[] = [];

  constructor(
    account: EmulatedAccount,
    private readonly functions: ReadonlyMap<string, FunctionSpec>,
    tls?: TlsIdentity,
  ) {
    super(account, tls);
  }

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.account.region}:${this.account.account}:function:${name}`;
  }

  /** Invokes a function as a principal (the API's callers, and Step Functions with its role). */
  async invokeAs(
    principal: Principal,
    nameOrArn: string,
    event: unknown,
    context: Record<string, string> = {},
  ): Promise<InvokeResult> {
    const name = /^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
    const fn = this.functions.get(name);
    if (!fn)
      throw new ServiceError(404, 'ResourceNotFoundException', `Function not found: ${this.arnOf(name)}`);
    this.account.authorize('lambda', {
      principal,
      action: 'lambda:InvokeFunction',
      resource: this.arnOf(name),
      context,
    });
    const r = await invoke(fn, event);
    this.invocations.push({ name, event, ok: r.ok });
    return r.ok
      ? { payload: r.value ?? null, logs: r.logs }
      : { payload: errorPayload(r), functionError: 'Unhandled', logs: r.logs };
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(
      err,
      'Lambda',
      { status: 403, code: 'AccessDeniedException' },
      'ServiceException',
    );
    res.writeHead(e.status, { 'content-type': 'application/json', 'x-amzn-errortype': e.code });
    res.end(JSON.stringify({ Type: 'User', message: e.message }));
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport }: Caller,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lambda');
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method !== 'POST' || !m)
      throw new ServiceError(400, 'UnsupportedOperation', `${req.method} ${url.pathname} is not emulated`);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type !== 'RequestResponse')
      throw new ServiceError(400, 'InvalidParameterValueException', `InvocationType ${type} is not emulated`);
    const body = (await readBody(req)).toString();
    if (Buffer.byteLength(body) > 6 * 1024 * 1024)
      throw new ServiceError(413, 'RequestTooLargeException', 'Request must be smaller than 6291456 bytes');
    let event: unknown;
    try {
      event = body === '' ? {} : JSON.parse(body);
    } catch {
      throw new ServiceError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    const r = await this.invokeAs(principal, decodeURIComponent(m[1]!), event, transport);
    const tail =
      req.headers['x-amz-log-type'] === 'Tail'
        ? { 'x-amz-log-result': Buffer.from(r.logs.slice(-4096)).toString('base64') }
        : {};
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-amz-executed-version': '$LATEST',
      'x-amzn-requestid': randomUUID(),
      ...(r.functionError ? { 'x-amz-function-error': r.functionError } : {}),
      ...tail,
    });
    res.end(JSON.stringify(r.payload));
  }
}
