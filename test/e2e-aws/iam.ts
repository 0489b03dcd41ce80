/**
 * An evaluator of the IAM policy language subset the stack uses, applied as AWS does for a request
 * within one account: an explicit Deny in any applicable policy wins; else an Allow in the caller's
 * identity policies or in the resource's policy (bucket, topic, key policy) allows; else it is an
 * implicit deny. KMS is the exception: a key policy must allow, directly or by delegating to the
 * account (`arn:aws:iam::<account>:root`), before identity policies count.
 *
 * Supported: Effect, Action / NotAction, Resource / NotResource (with `*` and `?` wildcards,
 * case-insensitive actions, case-sensitive ARNs), Principal (AWS account/role ARNs, Service, `*`),
 * and the condition operators String(Not)Equals, String(Not)Like, ArnEquals/ArnLike, Bool, Null,
 * Numeric*, each with `IfExists`, and `ForAnyValue:` / `ForAllValues:` over multi-valued keys.
 * Anything else throws, so a policy the evaluator does not understand cannot silently pass.
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: '*' | Record<string, string | readonly string[]>;
  readonly Condition?: Record<string, Record<string, Json>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement | readonly Statement[];
}

export interface Principal {
  /** The role ARN (`arn:aws:iam::123456789012:role/Name`) or a service (`lambda.amazonaws.com`). */
  readonly arn: string;
  readonly account: string;
  /** Identity policies attached to the principal (inline and managed). */
  readonly policies: readonly PolicyDocument[];
}

export interface Request {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request, e.g. `aws:SecureTransport`, `s3:prefix`. */
  readonly context?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The resource's own policy (bucket policy, topic policy, key policy). */
  readonly resourcePolicy?: PolicyDocument;
  /** The resource policy must allow on its own (KMS key policies). */
  readonly resourcePolicyRequired?: boolean;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface Evaluation {
  readonly decision: Decision;
  /** The statement that decided (the Deny, or the first Allow), for messages. */
  readonly statement?: Statement;
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** IAM wildcard match: `*` any run of characters, `?` one character. */
const PATTERNS = new Map<string, RegExp>();

export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = PATTERNS.get(cacheKey);
  if (re) return re.test(value);
  re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    ignoreCase ? 'is' : 's',
  );
  PATTERNS.set(cacheKey, re);
  return re.test(value);
}

function matchesAction(s: Statement, action: string): boolean {
  if (s.Action !== undefined) return list(s.Action).some((a) => wildcardMatch(a, action, true));
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => wildcardMatch(a, action, true));
  throw new Error(`statement ${s.Sid ?? ''} has neither Action nor NotAction`);
}

function matchesResource(s: Statement, resource: string, resourceBased: boolean): boolean {
  if (s.Resource !== undefined) return list(s.Resource).some((r) => wildcardMatch(r, resource));
  if (s.NotResource !== undefined) return !list(s.NotResource).some((r) => wildcardMatch(r, resource));
  // A resource policy statement may omit Resource (it is the resource itself).
  if (resourceBased) return true;
  throw new Error(`statement ${s.Sid ?? ''} has neither Resource nor NotResource`);
}

function matchesPrincipal(s: Statement, p: Principal): boolean {
  if (s.Principal === undefined) throw new Error(`resource policy statement ${s.Sid ?? ''} has no Principal`);
  if (s.Principal === '*') return true;
  for (const [kind, values] of Object.entries(s.Principal)) {
    for (const v of list(values)) {
      if (kind === 'AWS') {
        if (v === '*' || v === p.arn) return true;
        // The account (root ARN or bare id) stands for every principal of the account.
        if (v === `arn:aws:iam::${p.account}:root` || v === p.account) return true;
      } else if (kind === 'Service') {
        if (v === p.arn) return true;
      } else throw new Error(`unsupported principal type ${kind}`);
    }
  }
  return false;
}

const STRING_OPS = {
  StringEquals: (a: string, b: string) => a === b,
  StringNotEquals: (a: string, b: string) => a !== b,
  StringEqualsIgnoreCase: (a: string, b: string) => a.toLowerCase() === b.toLowerCase(),
  StringLike: (a: string, b: string) => wildcardMatch(b, a),
  StringNotLike: (a: string, b: string) => !wildcardMatch(b, a),
  ArnEquals: (a: string, b: string) => a === b,
  ArnLike: (a: string, b: string) => wildcardMatch(b, a),
  ArnNotEquals: (a: string, b: string) => a !== b,
  ArnNotLike: (a: string, b: string) => !wildcardMatch(b, a),
  Bool: (a: string, b: string) => a.toLowerCase() === b.toLowerCase(),
  NumericEquals: (a: string, b: string) => Number(a) === Number(b),
  NumericNotEquals: (a: string, b: string) => Number(a) !== Number(b),
  NumericLessThan: (a: string, b: string) => Number(a) < Number(b),
  NumericLessThanEquals: (a: string, b: string) => Number(a) <= Number(b),
  NumericGreaterThan: (a: string, b: string) => Number(a) > Number(b),
  NumericGreaterThanEquals: (a: string, b: string) => Number(a) >= Number(b),
} as const;
/** Negated operators: a request value matches when it matches none of the policy values. */
const NEGATED = new Set([
  'StringNotEquals',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
  'NumericNotEquals',
]);

function conditionHolds(
  operator: string,
  key: string,
  policyValues: readonly string[],
  requestValue: string | readonly string[] | undefined,
): boolean {
  let op = operator;
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  const colon = op.indexOf(':');
  if (colon >= 0) {
    const prefix = op.slice(0, colon);
    if (prefix !== 'ForAnyValue' && prefix !== 'ForAllValues')
      throw new Error(`unsupported condition set operator ${prefix}`);
    set = prefix;
    op = op.slice(colon + 1);
  }
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  if (op === 'Null') {
    const want = policyValues[0]?.toLowerCase() === 'true';
    return (requestValue === undefined) === want;
  }
  const fn = (STRING_OPS as Record<string, (a: string, b: string) => boolean>)[op];
  if (!fn) throw new Error(`unsupported condition operator ${operator} (key ${key})`);
  if (requestValue === undefined) return ifExists || (NEGATED.has(op) && set === undefined);
  const values = list(requestValue);
  const one = (v: string) =>
    NEGATED.has(op) ? policyValues.every((p) => fn(v, p)) : policyValues.some((p) => fn(v, p));
  if (set === 'ForAllValues') return values.every(one);
  return values.some(one);
}

function conditionsHold(s: Statement, context: Request['context'] = {}): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {}))
    for (const [key, raw] of Object.entries(keys)) {
      const values = list(raw as Json).map((v) => String(v));
      // Condition keys are case-insensitive.
      const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
      if (!conditionHolds(operator, key, values, found ? context[found] : undefined)) return false;
    }
  return true;
}

function statementsOf(doc: PolicyDocument): readonly Statement[] {
  return list(doc.Statement);
}

interface Match {
  allow?: Statement;
  deny?: Statement;
  allows: Statement[];
}

function scan(docs: readonly PolicyDocument[], req: Request, resourceBased: boolean): Match {
  const out: Match = { allows: [] };
  for (const doc of docs)
    for (const s of statementsOf(doc)) {
      if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`bad Effect ${String(s.Effect)}`);
      if (resourceBased && !matchesPrincipal(s, req.principal)) continue;
      if (!matchesAction(s, req.action)) continue;
      if (!matchesResource(s, req.resource, resourceBased)) continue;
      if (!conditionsHold(s, req.context)) continue;
      if (s.Effect === 'Deny') out.deny ??= s;
      else {
        out.allow ??= s;
        out.allows.push(s);
      }
    }
  return out;
}

/** The decision for one request. */
export function evaluate(req: Request): Evaluation {
  const identity = scan(req.principal.policies, req, false);
  const resource: Match = req.resourcePolicy ? scan([req.resourcePolicy], req, true) : { allows: [] };
  const deny = identity.deny ?? resource.deny;
  if (deny) return { decision: 'ExplicitDeny', statement: deny };
  if (req.resourcePolicyRequired) {
    // KMS: the key policy decides; a statement naming the account root delegates to IAM policies.
    const root = `arn:aws:iam::${req.principal.account}:root`;
    const viaAccount = (st: Statement) =>
      st.Principal !== undefined &&
      st.Principal !== '*' &&
      list(st.Principal.AWS).some((v) => v === root || v === req.principal.account);
    const direct = resource.allows.find((st) => !viaAccount(st));
    if (direct) return { decision: 'Allow', statement: direct };
    if (resource.allows.some(viaAccount) && identity.allow)
      return { decision: 'Allow', statement: identity.allow };
    return { decision: 'ImplicitDeny' };
  }
  const allow = identity.allow ?? resource.allow;
  return allow ? { decision: 'Allow', statement: allow } : { decision: 'ImplicitDeny' };
}

/** A denied request, as the emulated services report it. */
export class AccessDenied extends Error {
  constructor(
    readonly request: Pick<Request, 'action' | 'resource'> & { principal: string },
    readonly decision: Decision,
  ) {
    super(
      `User: ${request.principal} is not authorized to perform: ${request.action} on resource: ${request.resource} because ${
        decision === 'ExplicitDeny' ? 'an explicit deny' : 'no identity-based policy allows'
      } the ${request.action} action`,
    );
    this.name = 'AccessDenied';
  }
}
