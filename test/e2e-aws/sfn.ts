import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import { AccessDenied, type Principal } from './iam.js';
import type { LambdaEmulator } from './lambda-api.js';
import type { TlsIdentity } from './loopback.js';
import { type Caller, EmulatedService } from './service.js';

export interface StateMachineSpec {
  readonly arn: string;
  /** The Amazon States Language definition, as the template resolves it. */
  readonly definition: string;
  /** The role the state machine runs as (its Lambda invocations are authorized for it). */
  readonly role: Principal;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Execution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly startDate: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly done: Promise<void>;
}

/** A state's failure: an ASL error name (matched by Retry ErrorEquals) and its cause. */
class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

/** Step Functions' limit on a state's input or output (and an execution's). */
const MAX_STATE_BYTES = 262_144;

const STATE_FIELDS: Record<string, Set<string>> = {
  Task: new Set([
    'Type',
    'Resource',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'Retry',
    'TimeoutSeconds',
    'Next',
    'End',
    'Comment',
  ]),
  Map: new Set([
    'Type',
    'ItemsPath',
    'ItemProcessor',
    'MaxConcurrency',
    'ResultPath',
    'Next',
    'End',
    'Comment',
  ]),
};

/** `$` or `$.a.b` (the reference paths the stack uses); anything else is not emulated. */
function pathParts(path: string): string[] {
  if (path === '$') return [];
  if (!/^\$(\.[A-Za-z0-9_]+)+$/.test(path)) throw new Error(`JsonPath ${path} is not emulated`);
  return path.slice(2).split('.');
}

function read(doc: Json, path: string): Json {
  let v: Json = doc;
  for (const p of pathParts(path)) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !(p in v))
      throw new StatesError('States.Runtime', `The JSONPath '${path}' could not be found in the input`);
    v = v[p]!;
  }
  return v;
}

/** Parameters / ResultSelector: keys ending in `.$` take the value at a path of `doc`. */
function template(t: Json, doc: Json): Json {
  if (t === null || typeof t !== 'object') return t;
  if (Array.isArray(t)) return t.map((x) => template(x, doc));
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(t))
    if (k.endsWith('.$')) out[k.slice(0, -2)] = read(doc, String(v));
    else out[k] = template(v, doc);
  return out;
}

/** ResultPath: null keeps the input, `$` is the result, `$.a.b` puts the result there. */
function place(input: Json, result: Json, resultPath: Json | undefined): Json {
  if (resultPath === null) return input;
  const parts = pathParts(resultPath === undefined ? '$' : String(resultPath));
  if (parts.length === 0) return result;
  const root = structuredClone(input) as Record<string, Json>;
  let at = root;
  for (const p of parts.slice(0, -1)) {
    if (at[p] === undefined || typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Record<string, Json>;
  }
  at[parts[parts.length - 1]!] = result;
  return root;
}

function bounded(what: string, v: Json): Json {
  const bytes = Buffer.byteLength(JSON.stringify(v));
  if (bytes > MAX_STATE_BYTES)
    throw new StatesError(
      'States.DataLimitExceeded',
      `${what} has ${bytes} bytes, more than the ${MAX_STATE_BYTES} a state may carry`,
    );
  return v;
}

/**
 * Step Functions over HTTP (AWS JSON 1.0): StartExecution and DescribeExecution, running the
 * template's state machine definition — the Amazon States Language subset the stack uses: Task
 * states invoking a Lambda ARN directly (Parameters, ResultSelector, ResultPath, Retry with
 * ErrorEquals / MaxAttempts / backoff, TimeoutSeconds), inline Map states (ItemsPath,
 * MaxConcurrency, ItemProcessor), Next / End and the machine's TimeoutSeconds. Any other state
 * type, field or path syntax fails the execution as not emulated, so a definition this cannot
 * check never passes. Each Lambda call is authorized for the state machine's role; each state's
 * data is held to the 256 KB limit. Retry waits are scaled by `retryDelayScale`.
 */
export class SfnEmulator extends EmulatedService {
  private readonly machines = new Map<string, StateMachineSpec>();
  private readonly executions = new Map<string, Execution>();

  constructor(
    account: EmulatedAccount,
    private readonly lambda: LambdaEmulator,
    tls?: TlsIdentity,
    private readonly retryDelayScale = 0.001,
  ) {
    super(account, tls);
  }

  addStateMachine(m: StateMachineSpec): void {
    this.machines.set(m.arn, m);
  }

  override async stop(): Promise<void> {
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
    await super.stop();
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(
      err,
      'Step Functions',
      { status: 400, code: 'AccessDeniedException' },
      'InternalFailure',
    );
    res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': e.code });
    res.end(JSON.stringify({ __type: e.code, message: e.message }));
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport: context }: Caller,
  ): Promise<void> {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    const input = JSON.parse((await readBody(req)).toString() || '{}') as Record<string, unknown>;
    if (op === 'StartExecution') {
      const arn = String(input.stateMachineArn ?? '');
      const machine = this.machines.get(arn);
      if (!machine)
        throw new ServiceError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      this.account.authorize('states', {
        principal,
        action: 'states:StartExecution',
        resource: arn,
        context,
      });
      const name = String(input.name ?? randomUUID());
      const text = String(input.input ?? '{}');
      let doc: Json;
      try {
        doc = JSON.parse(text) as Json;
      } catch {
        throw new ServiceError(400, 'InvalidExecutionInput', 'Invalid State Machine Execution Input');
      }
      const execArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
      if (this.executions.has(execArn))
        throw new ServiceError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${execArn}'`);
      const e: Execution = {
        arn: execArn,
        name,
        stateMachineArn: arn,
        input: text,
        startDate: Date.now(),
        status: 'RUNNING',
        done: Promise.resolve(),
      };
      (e as { done: Promise<void> }).done = this.run(e, machine, doc);
      this.executions.set(execArn, e);
      return this.json(res, { executionArn: execArn, startDate: e.startDate / 1000 });
    }
    if (op === 'DescribeExecution') {
      const arn = String(input.executionArn ?? '');
      const e = this.executions.get(arn);
      if (!e) throw new ServiceError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
      this.account.authorize('states', {
        principal,
        action: 'states:DescribeExecution',
        resource: arn,
        context,
      });
      return this.json(res, {
        executionArn: e.arn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate / 1000,
        ...(e.stopDate ? { stopDate: e.stopDate / 1000 } : {}),
        input: e.input,
        ...(e.output !== undefined ? { output: e.output } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
      });
    }
    throw new ServiceError(400, 'UnknownOperationException', `${op} is not emulated`);
  }

  private async run(e: Execution, machine: StateMachineSpec, input: Json): Promise<void> {
    const def = JSON.parse(machine.definition) as { TimeoutSeconds?: number };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (def.TimeoutSeconds)
        timer = setTimeout(
          () => reject(new StatesError('States.Timeout', 'the execution timed out')),
          def.TimeoutSeconds * 1000,
        );
    });
    try {
      const out = await Promise.race([
        this.machine(def, bounded('the execution input', input), machine),
        timeout,
      ]);
      e.output = JSON.stringify(out);
      e.status = 'SUCCEEDED';
    } catch (err) {
      const se =
        err instanceof StatesError
          ? err
          : new StatesError('States.Runtime', err instanceof Error ? err.message : String(err));
      e.status = se.error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
      e.error = se.error;
      e.cause = se.cause;
    } finally {
      clearTimeout(timer);
      e.stopDate = Date.now();
    }
  }

  /** Runs one state machine (or Map item processor) from StartAt to an End state. */
  private async machine(def: unknown, input: Json, m: StateMachineSpec): Promise<Json> {
    const d = def as { StartAt: string; States: Record<string, Record<string, Json>> };
    for (const k of Object.keys(d))
      if (!['StartAt', 'States', 'TimeoutSeconds', 'Comment', 'ProcessorConfig'].includes(k))
        throw new Error(`state machine field ${k} is not emulated`);
    let name: string | undefined = d.StartAt;
    let doc = input;
    while (name !== undefined) {
      const state: Record<string, Json> | undefined = d.States[name];
      if (!state) throw new Error(`state ${name} does not exist`);
      const type = String(state.Type);
      const fields = STATE_FIELDS[type];
      if (!fields) throw new Error(`state type ${type} is not emulated`);
      for (const k of Object.keys(state))
        if (!fields.has(k)) throw new Error(`${type} field ${k} is not emulated`);
      doc = bounded(
        `the output of state ${name}`,
        type === 'Task' ? await this.task(state, doc, m) : await this.map(state, doc, m),
      );
      name = state.End === true ? undefined : String(state.Next);
    }
    return doc;
  }

  private async task(state: Record<string, Json>, doc: Json, m: StateMachineSpec): Promise<Json> {
    const resource = String(state.Resource);
    if (!resource.startsWith('arn:aws:lambda:'))
      throw new Error(`Task resource ${resource} is not emulated (only Lambda function ARNs)`);
    const payload = state.Parameters === undefined ? doc : template(state.Parameters, doc);
    const retriers =
      (state.Retry as
        | { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }[]
        | undefined) ?? [];
    const attempts = retriers.map(() => 0);
    for (;;) {
      try {
        const once = this.invoke(m, resource, payload);
        const result =
          typeof state.TimeoutSeconds === 'number'
            ? await Promise.race([
                once,
                new Promise<never>((_, reject) =>
                  setTimeout(
                    () => reject(new StatesError('States.Timeout', 'task timed out')),
                    Number(state.TimeoutSeconds) * 1000,
                  ).unref(),
                ),
              ])
            : await once;
        const selected = state.ResultSelector === undefined ? result : template(state.ResultSelector, result);
        return place(doc, selected, state.ResultPath);
      } catch (err) {
        if (!(err instanceof StatesError)) throw err;
        const i = retriers.findIndex((r) =>
          r.ErrorEquals.some(
            (e) =>
              e === err.error ||
              e === 'States.ALL' ||
              (e === 'States.TaskFailed' && err.error !== 'States.Timeout'),
          ),
        );
        const r = retriers[i];
        if (!r || attempts[i]! >= (r.MaxAttempts ?? 3)) throw err;
        const wait = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** attempts[i]!;
        attempts[i]!++;
        await new Promise((res) => setTimeout(res, wait * 1000 * this.retryDelayScale));
      }
    }
  }

  /** A Lambda call as the state machine's role; the function's error becomes the state's error. */
  private async invoke(m: StateMachineSpec, arn: string, payload: Json): Promise<Json> {
    let r: Awaited<ReturnType<LambdaEmulator['invokeAs']>>;
    try {
      r = await this.lambda.invokeAs(m.role, arn, bounded('a task input', payload));
    } catch (err) {
      if (err instanceof AccessDenied) throw new StatesError('Lambda.AWSLambdaException', err.message);
      if (err instanceof ServiceError) throw new StatesError(`Lambda.${err.code}`, err.message);
      throw err;
    }
    if (r.functionError) {
      const p = r.payload as { errorType?: string; errorMessage?: string };
      throw new StatesError(p.errorType ?? 'Error', p.errorMessage ?? '');
    }
    return r.payload as Json;
  }

  private async map(state: Record<string, Json>, doc: Json, m: StateMachineSpec): Promise<Json> {
    const items = read(doc, String(state.ItemsPath ?? '$'));
    if (!Array.isArray(items))
      throw new StatesError('States.Runtime', `ItemsPath ${String(state.ItemsPath)} is not an array`);
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } };
    if ((processor.ProcessorConfig?.Mode ?? 'INLINE') !== 'INLINE')
      throw new Error('only INLINE Map states are emulated');
    const limit = Number(state.MaxConcurrency ?? 0) || items.length || 1;
    const results: Json[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await this.machine(processor, items[i]!, m);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(items.length, 1)) }, worker));
    return place(doc, bounded('the Map results', results), state.ResultPath);
  }
}
