/**
 * The state machine definitions: the very ASL files CDK loads (statemachines/*.asl.json), read
 * from disk, with their `${...}` placeholders substituted. CDK substitutes the Lambda ARNs at
 * deploy time (definitionSubstitutions); locally each `${<State>FunctionArn}` becomes a
 * well-formed placeholder ARN, since every Task is bound to its in-process handler anyway.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type MachineName = 'deploy' | 'rollback';

export function machinePath(machine: MachineName): string {
  return fileURLToPath(new URL(`../../statemachines/${machine}.asl.json`, import.meta.url));
}

export function machineText(machine: MachineName): string {
  return readFileSync(machinePath(machine), 'utf8');
}

/** Every `${Name}` placeholder of a definition text, in order of first use. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
}

/** The placeholder ARN a Task's Lambda gets when nothing real stands behind it. */
export function localFunctionArn(placeholder: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:helmstep-${placeholder.replace(/FunctionArn$/, '')}`;
}

/**
 * The definition with its placeholders replaced: `values` first, then local ARNs for
 * `*FunctionArn`. Any other placeholder left unset is an error (it would fail in AWS too).
 */
export function substitute(text: string, values: Readonly<Record<string, string>> = {}): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const v = values[name] ?? (name.endsWith('FunctionArn') ? localFunctionArn(name) : undefined);
    if (v === undefined) throw new Error(`state machine placeholder \${${name}} has no value`);
    return JSON.stringify(v).slice(1, -1);
  });
}

export interface Definition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, { readonly Type: string; readonly Resource?: string; readonly [k: string]: unknown }>>;
  readonly [k: string]: unknown;
}

export function loadMachine(machine: MachineName, values?: Readonly<Record<string, string>>): Definition {
  return JSON.parse(substitute(machineText(machine), values)) as Definition;
}

/** The Task states of a definition (top level: the machines have no Parallel or Map). */
export function taskStates(def: Definition): string[] {
  return Object.entries(def.States)
    .filter(([, s]) => s.Type === 'Task')
    .map(([name]) => name);
}
