/** helmstep serve / ack command lines: flags, secrets, the token file (no service started). */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { run } from '../../../src/cli/run.ts';
import { resolveToken, secretsFrom } from '../../../src/cli/service/serve.ts';

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(args, {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env,
    open: () => {
      throw new Error('no cluster in these tests');
    },
  });
  return { code, out, err };
}

describe('helmstep serve and ack command lines', () => {
  it('--help prints the routes and flags; an unknown flag is a usage error (2)', async () => {
    const help = await cli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('POST /webhooks/github');
    expect(help.out).toContain('--github-secret-file');
    const bad = await cli(['serve', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown option '--bogus'");
    expect((await cli(['ack'])).code).toBe(2);
    expect((await cli(['ack', '--help'])).out).toContain('lift the release');
  });

  it('a missing targets file is an error naming it (1), before anything starts', async () => {
    const r = await cli(['serve', '--targets', '/nonexistent/targets.yaml'], { HELMSTEP_STATE_DIR: mkdtempSync(join(tmpdir(), 'serve-cli-')) });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: cannot read the targets file \/nonexistent\/targets.yaml: .*check the path\n$/);
  });

  it('an invalid release name for ack is refused before any state is opened', async () => {
    const r = await cli(['ack', 'Not_A_Release', '-n', 'shop', '--cluster', 'c']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Not_A_Release');
  });

  it('secrets: one per line while rotating; an empty file is an error; the variable otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-secrets-'));
    writeFileSync(join(dir, 's'), 'new-secret\r\nold-secret\n\n');
    expect(secretsFrom(join(dir, 's'), 'ignored', 'the secret file')).toEqual(['new-secret', 'old-secret']);
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => secretsFrom(join(dir, 'empty'), undefined, 'the secret file')).toThrow(/is empty/);
    expect(secretsFrom(undefined, 'from-env', 'x')).toEqual(['from-env']);
    expect(secretsFrom(undefined, undefined, 'x')).toEqual([]);
  });

  it('the token: generated once into <state dir>/serve.token with mode 0600, then reused; the variable wins over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-token-'));
    const first = resolveToken({}, { HELMSTEP_STATE_DIR: dir });
    expect(first).toMatchObject({ generated: true, file: join(dir, 'serve.token') });
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'serve.token')).mode & 0o777).toBe(0o600);
    expect(resolveToken({}, { HELMSTEP_STATE_DIR: dir })).toEqual({ token: first.token, file: join(dir, 'serve.token'), generated: false });
    expect(resolveToken({}, { HELMSTEP_STATE_DIR: dir, HELMSTEP_SERVE_TOKEN: 'x'.repeat(20) }).token).toBe('x'.repeat(20));
    expect(() => resolveToken({}, { HELMSTEP_SERVE_TOKEN: 'short' })).toThrow(/shorter than 16/);
  });
});
