/**
 * The service commands, beside the helm-shaped release commands: `audit` (auditor queries over
 * the audit log), `serve` (the embedded service) and `ack` (lift an alarm's deploy freeze). Each
 * lives in its own module with its own flags and is loaded only when named.
 */
import type { RunDeps } from '../run.ts';

export type ServiceCommand = (argv: readonly string[], deps: RunDeps) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<ServiceCommand>>> = {
  audit: async () => (await import('./audit.ts')).audit,
  serve: async () => (await import('./serve.ts')).serve,
  ack: async () => (await import('./ack.ts')).ack,
};

export const SERVICE_COMMANDS: ReadonlySet<string> = new Set(Object.keys(COMMANDS));

/** Runs `helmstep <service command> ...`; argv starts with the command word. */
export async function runService(argv: readonly string[], deps: RunDeps): Promise<number> {
  const load = COMMANDS[argv[0] ?? ''];
  if (!load) throw new Error(`not a service command: ${argv[0] ?? ''}`);
  return (await load())(argv.slice(1), deps);
}
