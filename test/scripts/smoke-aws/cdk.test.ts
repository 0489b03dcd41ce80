import { describe, expect, it } from 'vitest';
import { stackDefaults } from '../../../infra/config.js';
import {
  deployCommand,
  destroyCommand,
  parseOutputs,
  SMOKE_STACK_RE,
  smokeStackName,
} from '../../../scripts/smoke-aws/cdk.js';
import { STACK_OUTPUTS } from '../../../scripts/smoke-aws/steps.js';

const T = { stackName: 'VigilSmoke202612011720ab12', account: '123456789012', region: 'eu-west-1' };

describe('smoke:aws cdk commands', () => {
  it('names a stack uniquely per run, and its database and workgroup follow (two smokes share an account)', () => {
    const a = smokeStackName(new Date('2026-12-01T17:20:59Z'), 'AB12ffff');
    expect(a).toBe('VigilSmoke202612011720ab12');
    expect(smokeStackName(new Date('2026-12-01T17:20:59Z'), 'cd34')).not.toBe(a);
    expect(SMOKE_STACK_RE.test(a)).toBe(true);
    expect(stackDefaults(a)).toEqual({
      databaseName: 'vigil_smoke202612011720ab12',
      workGroupName: 'vigil-smoke202612011720ab12',
    });
    expect(() => smokeStackName(new Date(), '!!')).toThrow(/does not match/);
  });

  it('deploys that one stack under its name, without a prompt, outputs to a file, in the preflight region', () => {
    const c = deployCommand(T, '/tmp/out.json');
    expect(c.command).toBe('npx');
    expect(c.args).toEqual([
      'cdk',
      'deploy',
      T.stackName,
      '--context',
      `vigil:stackName=${T.stackName}`,
      '--require-approval',
      'never',
      '--outputs-file',
      '/tmp/out.json',
      '--tags',
      'vigil:smoke=true',
      '--progress',
      'events',
    ]);
    expect(c.env).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      CDK_DEFAULT_ACCOUNT: '123456789012',
      CDK_DEFAULT_REGION: 'eu-west-1',
    });
  });

  it('destroys only that stack, and refuses any stack that is not a smoke stack', () => {
    expect(destroyCommand(T).args).toEqual([
      'cdk',
      'destroy',
      T.stackName,
      '--context',
      `vigil:stackName=${T.stackName}`,
      '--force',
    ]);
    for (const stackName of ['Vigil', 'VigilProd', 'VigilSmoke', 'VigilSmoke2026120117ab12x', '--all'])
      expect(() => destroyCommand({ ...T, stackName })).toThrow(/is not a smoke stack/);
    expect(() => deployCommand({ ...T, stackName: 'Vigil' }, 'o.json')).toThrow(/is not a smoke stack/);
  });

  it('reads the outputs the steps need from the outputs file, naming what is missing', () => {
    const all = Object.fromEntries(STACK_OUTPUTS.map((k) => [k, `v-${k}`]));
    expect(parseOutputs(JSON.stringify({ [T.stackName]: { ...all, Extra: 'x' } }), T.stackName)).toEqual(all);
    const { AlertTopicArn: _, ...partial } = all;
    expect(() => parseOutputs(JSON.stringify({ [T.stackName]: partial }), T.stackName)).toThrow(
      /lacks AlertTopicArn$/,
    );
    expect(() => parseOutputs(JSON.stringify({ Other: all }), T.stackName)).toThrow(/no outputs of stack/);
    expect(() => parseOutputs('{', T.stackName)).toThrow(/not JSON/);
  });
});
