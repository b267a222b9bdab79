import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillOnce } from '../../../src/local/cache.ts';

describe('fillOnce', () => {
  it('builds a cache entry once when two builders ask at the same time; the second waits for the first', async () => {
    const root = mkdtempSync(join(tmpdir(), 'helmstep-cache-'));
    const dir = join(root, 'tool-v1-abc');
    let builds = 0;
    const fill = async (staging: string) => {
      builds++;
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(staging, 'tool'), 'built');
    };
    const [a, b] = await Promise.all([fillOnce(dir, fill), fillOnce(dir, fill)]);
    expect([a, b]).toEqual([dir, dir]);
    expect(builds).toBe(1);
    expect(readFileSync(join(dir, 'tool'), 'utf8')).toBe('built');
    expect(readdirSync(root).sort()).toEqual(['tool-v1-abc']); // no staging folder or lock left behind
  });

  it('leaves nothing when the build fails, and the next caller builds again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'helmstep-cache-'));
    const dir = join(root, 'tool');
    await expect(fillOnce(dir, () => Promise.reject(new Error('go build failed')))).rejects.toThrow('go build failed');
    expect(readdirSync(root)).toEqual([]);
    await fillOnce(dir, (staging) => Promise.resolve(writeFileSync(join(staging, 'tool'), 'ok')));
    expect(readFileSync(join(dir, 'tool'), 'utf8')).toBe('ok');
  });
});
