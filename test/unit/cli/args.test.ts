import { describe, expect, it } from 'vitest';

import { parseCommandLine } from '../../../src/cli/args.ts';
import { UsageError } from '../../../src/cli/errors.ts';

const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean));

describe('parseCommandLine', () => {
  it.each([
    ['history web', { kind: 'history', release: 'web', max: 256, output: 'table' }],
    ['history web -n prod --max 3 -o json', { kind: 'history', release: 'web', namespace: 'prod', max: 3, output: 'json' }],
    ['-n prod history web --output=yaml', { kind: 'history', release: 'web', namespace: 'prod', max: 256, output: 'yaml' }],
    [
      'get values web --all --revision 2 -o json --kubeconfig /k --kube-context c',
      { kind: 'get values', release: 'web', all: true, revision: 2, output: 'json', kubeconfig: '/k', kubeContext: 'c' },
    ],
    ['get values web -a', { kind: 'get values', release: 'web', all: true, output: 'table' }],
    ['get values web --revision 0', { kind: 'get values', release: 'web', all: false, output: 'table' }],
    ['get manifest web --revision=1', { kind: 'get manifest', release: 'web', revision: 1 }],
    ['get hooks web', { kind: 'get hooks', release: 'web' }],
    ['status web --show-desc -o json', { kind: 'status', release: 'web', output: 'json', showDescription: true }],
    ['diff web', { kind: 'diff', release: 'web' }],
    ['diff web 1 3', { kind: 'diff', release: 'web', from: 1, to: 3 }],
    ['diff web --revision 1 --revision 3', { kind: 'diff', release: 'web', from: 1, to: 3 }],
    ['diff web 2', { kind: 'diff', release: 'web', from: 2 }],
    ['', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['history -h', { kind: 'help', command: 'history' }],
    ['get values --help', { kind: 'help', command: 'get values' }],
  ])('reads `helmstep %s`', (line, want) => {
    expect(parse(line)).toEqual(want);
  });

  it.each([
    ['history', /"helmstep history" requires 1 argument, got 0/, 'history'],
    ['history a b', /requires 1 argument, got 2/, 'history'],
    ['history web --bogus', /^unknown flag: --bogus$/, 'history'],
    ['history web -o xml', /invalid argument "xml" for "-o, --output" flag: invalid format type/, 'history'],
    ['history web --max lots', /invalid argument "lots" for "--max" flag/, 'history'],
    ['history web --max', /^flag needs an argument: --max$/, 'history'],
    ['get values web --revision -1', /invalid argument "-1" for "--revision" flag/, 'get values'],
    ['get manifest web --all', /^unknown flag: --all$/, 'get manifest'],
    ['get values web --all=yes', /takes no value/, 'get values'],
    ['diff web 1 2 --revision 3', /at most two revisions/, 'diff'],
    ['diff web one', /invalid argument "one"/, 'diff'],
    ['install web ./chart', /unknown command "install"/, undefined],
    ['get notes web', /unknown command "get notes"/, undefined],
  ])('refuses `helmstep %s` with a usage error', (line, message, command) => {
    let caught: unknown;
    try {
      parse(line);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).command).toBe(command);
  });
});
