import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { InvalidObjectKey, ObjectConflict, ObjectNotFound } from '../../../src/audit/errors.ts';
import { sha256Hex } from '../../../src/audit/events.ts';
import { LocalDirObjectStore } from '../../../src/audit/objects.ts';

const dirs: string[] = [];
function store(): LocalDirObjectStore {
  const dir = mkdtempSync(join(tmpdir(), 'helmstep-objects-'));
  dirs.push(dir);
  return new LocalDirObjectStore(dir);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LocalDirObjectStore', () => {
  it('stores bytes under a key, returns their sha256 and reads them back', async () => {
    const s = store();
    const bytes = Buffer.from('hello audit');
    expect(await s.put('records/sha256/x', bytes)).toBe(sha256Hex(bytes));
    expect(Buffer.from(await s.get('records/sha256/x')).toString()).toBe('hello audit');
    expect(readdirSync(join(s.dir, 'records', 'sha256'))).toEqual(['x']);
  });

  it('accepts the same bytes again and refuses to overwrite with others', async () => {
    const s = store();
    await s.put('a', Buffer.from('one'));
    expect(await s.put('a', Buffer.from('one'))).toBe(sha256Hex('one'));
    await expect(s.put('a', Buffer.from('two'))).rejects.toBeInstanceOf(ObjectConflict);
    expect(Buffer.from(await s.get('a')).toString()).toBe('one');
  });

  it('names a missing object and refuses keys that could leave its directory', async () => {
    const s = store();
    await expect(s.get('nope')).rejects.toBeInstanceOf(ObjectNotFound);
    for (const key of ['../x', 'a/../../x', '/etc/passwd', '', 'a//b', 'a/./b']) {
      await expect(s.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKey);
    }
  });
});
