import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, parseExposition, renderExposition, type Family } from '../../../src/metrics/exposition.ts';

describe('exposition text', () => {
  it('writes HELP, TYPE and one line per sample, label values escaped as the format requires', () => {
    const text = renderExposition([
      {
        name: 'helm_release_info',
        type: 'gauge',
        help: 'a help\nwith a back\\slash',
        samples: [
          { labels: { name: 'web', description: 'say "hi"\nthen C:\\dir' }, value: 1 },
          { labels: {}, value: 0.5 },
        ],
      },
      { name: 'helm_release_rollback_total', type: 'counter', help: 'n', samples: [{ labels: { a: 'x' }, value: Infinity }, { labels: { a: 'y' }, value: NaN }] },
      { name: 'empty', type: 'gauge', help: 'no samples', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP helm_release_info a help\\nwith a back\\\\slash',
        '# TYPE helm_release_info gauge',
        'helm_release_info{name="web",description="say \\"hi\\"\\nthen C:\\\\dir"} 1',
        'helm_release_info 0.5',
        '# HELP helm_release_rollback_total n',
        '# TYPE helm_release_rollback_total counter',
        'helm_release_rollback_total{a="x"} +Inf',
        'helm_release_rollback_total{a="y"} NaN',
        '# HELP empty no samples',
        '# TYPE empty gauge',
        '',
      ].join('\n'),
    );
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('refuses names Prometheus would reject instead of writing an unreadable scrape', () => {
    expect(() => renderExposition([{ name: 'helm-release', type: 'gauge', help: 'x', samples: [] }])).toThrow(/invalid metric name "helm-release"/);
    expect(() => renderExposition([{ name: 'm', type: 'gauge', help: 'x', samples: [{ labels: { 'app.version': '1' }, value: 1 }] }])).toThrow(/invalid label name "app.version" on m/);
    expect(() => renderExposition([{ name: 'm', type: 'gauge', help: 'x', samples: [{ labels: { __name__: 'x' }, value: 1 }] }])).toThrow(/invalid label name/);
  });

  it('reads back what it writes, for any label values and finite values (property)', () => {
    const labelName = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    const family = fc.record({
      name: fc.stringMatching(/^[a-z_:][a-z0-9_:]{0,20}$/),
      help: fc.string(),
      type: fc.constantFrom('gauge' as const, 'counter' as const),
      samples: fc.array(fc.record({ labels: fc.dictionary(labelName, fc.string({ unit: 'binary' }), { maxKeys: 4 }), value: fc.double({ noNaN: true }).map((v) => (v === 0 ? 0 : v)) }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(family, { maxLength: 3 }), (families: Family[]) => {
        const back = parseExposition(renderExposition(families));
        const want = families.flatMap((f) => f.samples.map((s) => ({ name: f.name, labels: { ...s.labels }, value: s.value })));
        expect(back).toEqual(want);
      }),
    );
  });

  it('names a line it cannot read', () => {
    expect(() => parseExposition('m{a="x} 1\n')).toThrow(/unreadable labels in: m\{a="x\} 1/);
    expect(() => parseExposition('not a sample\n')).toThrow(/not an exposition sample line: not a sample/);
  });
});
