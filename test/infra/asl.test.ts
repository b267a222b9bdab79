/**
 * The state machine definitions CDK loads and the local engine runs: valid ASL (asl-validator,
 * on a copy since it mutates its argument), JSONPath only, every Task bounded in its retries and
 * caught, every Task bound to a handler file named after it, every wait a Wait state in a poll loop.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { loadMachine, machineText, placeholders, substitute, taskStates, type MachineName } from '../../src/orchestration/machines.ts';
import { STEPS } from '../../src/orchestration/states/index.ts';
import '../../src/orchestration/local.ts'; // Promise.withResolvers on Node 20

type Validator = (definition: unknown, opts?: { checkArn?: boolean; checkPaths?: boolean }) => { isValid: boolean; errorsText: (sep?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as Validator;

const MACHINES: MachineName[] = ['deploy', 'rollback'];
const functionsDir = fileURLToPath(new URL('../../functions/', import.meta.url));
const kebab = (s: string) => s.replace(/(?<!^)(?=[A-Z])/g, '-').toLowerCase();

interface State {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; BackoffRate?: number; IntervalSeconds?: number; MaxDelaySeconds?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  SecondsPath?: string;
  Seconds?: number;
  TimeoutSeconds?: number;
}

describe.each(MACHINES)('statemachines/%s.asl.json', (machine) => {
  const text = machineText(machine);
  const def = loadMachine(machine);
  const states = def.States as unknown as Record<string, State>;

  it('is valid ASL once CDK (or the local engine) substitutes its placeholders', () => {
    const copy = JSON.parse(substitute(text)) as unknown;
    const r = aslValidator(copy, { checkArn: true, checkPaths: true });
    expect(r.isValid, r.errorsText('\n')).toBe(true);
    // aws-local-stepfunctions validates again when it loads it.
    expect(() => new StateMachine(JSON.parse(substitute(text)) as never)).not.toThrow();
  });

  it('has one placeholder per Task, ${<State>FunctionArn}, and no other', () => {
    const raw = JSON.parse(text) as { States: Record<string, State> };
    for (const [name, s] of Object.entries(raw.States)) {
      if (s.Type === 'Task') expect(s.Resource, name).toBe(`\${${name}FunctionArn}`);
    }
    expect(placeholders(text).sort()).toEqual(taskStates(def).map((n) => `${n}FunctionArn`).sort());
  });

  it('is JSONPath only: no JSONata, no Assign, no Distributed Map (the local engine ignores them)', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
    expect(text).not.toMatch(/"(Assign|Arguments|Output|ItemReader|ItemBatcher)"\s*:/);
    expect(text).not.toContain('{%');
  });

  it('binds every Task to a handler core of its own name and a functions/ file named in kebab-case', () => {
    for (const name of taskStates(def)) {
      expect(STEPS[name]?.state, name).toBe(name);
      expect(existsSync(`${functionsDir}${kebab(name)}.ts`), `functions/${kebab(name)}.ts`).toBe(true);
    }
  });

  it('retries helmstep.Retryable with bounded backoff, and catches everything on every Task', () => {
    for (const name of taskStates(def)) {
      const s = states[name]!;
      const retry = s.Retry?.find((r) => r.ErrorEquals.includes('helmstep.Retryable'));
      expect(retry, name).toBeDefined();
      expect(retry!.MaxAttempts).toBeGreaterThan(0);
      expect(retry!.MaxAttempts).toBeLessThanOrEqual(10);
      expect(retry!.BackoffRate).toBeGreaterThan(1);
      expect(retry!.MaxDelaySeconds).toBeGreaterThan(0);
      expect(s.Retry!.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL'); // never retry a Stop or a Remediate
      const caught = (s.Catch ?? []).flatMap((c) => c.ErrorEquals);
      expect(caught, name).toContain('States.ALL');
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(s.TimeoutSeconds).toBeLessThanOrEqual(900); // Lambda's limit
    }
  });

  it('routes Remediate and Stop explicitly on the operation states, each Catch keeping the document', () => {
    for (const name of taskStates(def)) {
      const s = states[name]!;
      for (const c of s.Catch ?? []) {
        expect(c.ResultPath, `${name} → ${c.Next}`).toMatch(/^\$\.\w+$/);
        expect(states[c.Next], `${name} → ${c.Next}`).toBeDefined();
      }
      if (['ValidateLock', 'FailRelease', 'RollbackFailRelease', 'ReleaseLease'].includes(name)) continue;
      const names = (s.Catch ?? []).map((c) => c.ErrorEquals.join(','));
      expect(names, name).toEqual(['helmstep.Remediate', 'helmstep.Stop', 'States.ALL']);
    }
  });

  it('makes every wait a Wait state whose seconds a poll Task answered, looping back to that Task', () => {
    const waits = Object.entries(states).filter(([, s]) => s.Type === 'Wait');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const [name, s] of waits) {
      const poll = s.Next!;
      expect(states[poll]?.Type, name).toBe('Task');
      expect(s.SecondsPath).toMatch(/^\$\.\w+\.seconds$/);
      expect(s.Seconds).toBeUndefined();
      const choice = states[`${poll}Done`]!;
      expect(choice.Type).toBe('Choice');
      expect(choice.Default).toBe(name);
      expect(states[poll]!.Next).toBe(`${poll}Done`);
    }
  });

  it('reaches every state from StartAt and ends every path in Succeed or Fail', () => {
    const seen = new Set<string>();
    const visit = (n: string) => {
      if (seen.has(n)) return;
      seen.add(n);
      const s = states[n]!;
      for (const next of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)]) if (next) visit(next);
    };
    visit(def.StartAt);
    expect([...seen].sort()).toEqual(Object.keys(states).sort());
    expect(Object.values(states).some((s) => s.Type === 'Succeed')).toBe(true);
  });
});

describe('the two machines together', () => {
  it('share the handlers of the states they have in common (ValidateLock, Upgrade, HealthGate, Finalize, FailRelease, ReleaseLease)', () => {
    const deploy = new Set(taskStates(loadMachine('deploy')));
    const common = taskStates(loadMachine('rollback')).filter((n) => deploy.has(n));
    expect(common.sort()).toEqual(['FailRelease', 'Finalize', 'HealthGate', 'ReleaseLease', 'Upgrade', 'ValidateLock']);
  });

  it('have a handler file for every core and no handler file without a state', async () => {
    const { readdirSync } = await import('node:fs');
    // Handlers that are not Task states: the scheduled reconciler, the auditor HTTP API and the triggers.
    const services = new Set(['reconcile.ts', 'audit-query.ts', 'webhook-github.ts', 'webhook-generic.ts', 'alarm-eventbridge.ts', 'alertmanager.ts']);
    const files = readdirSync(functionsDir).filter((f) => f.endsWith('.ts') && !services.has(f));
    expect(files.sort()).toEqual(Object.keys(STEPS).map((n) => `${kebab(n)}.ts`).sort());
  });
});
