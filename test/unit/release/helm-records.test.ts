import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRelease, encodeRelease } from '../../../src/release/codec.ts';

// Records captured from Secrets that the real helm 3.17.3 and helm 4.1.4 wrote on the test
// control plane (`kubectl get secret … -o jsonpath='{.data.release}' | base64 -d`).
const dir = fileURLToPath(new URL('../../fixtures/records', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

describe('records written by the real helm binaries', () => {
  it('has fixtures from both helm majors', () => {
    expect(files.some((f) => f.startsWith('helm3-'))).toBe(true);
    expect(files.some((f) => f.startsWith('helm4-'))).toBe(true);
  });

  it.each(files)('%s decodes, and re-encodes to the very JSON text helm wrote', (file) => {
    const text = readFileSync(join(dir, file), 'utf8').trim();
    const helmJson = gunzipSync(Buffer.from(text, 'base64')).toString('utf8');
    const rel = decodeRelease(text);
    expect(rel.name).toMatch(/^web[34]$/);
    expect(rel.chart?.metadata?.name).toBe('webapp');
    expect(['deployed', 'superseded']).toContain(rel.info.status);
    const ours = gunzipSync(Buffer.from(encodeRelease(rel), 'base64')).toString('utf8');
    expect(ours).toBe(helmJson);
  });

  it('has a record whose values have integer-like keys, which helm 4 wrote in Go\'s byte-wise order', () => {
    const text = readFileSync(join(dir, 'helm4-web4-intkeys.v1.txt'), 'utf8').trim();
    const helmJson = gunzipSync(Buffer.from(text, 'base64')).toString('utf8');
    // `helm install --set-json 'x={"!x":3,"10":1,"9":2,"1a":{"2":"b","b":"c","007":1,"10":[{"5":5,"a":1}]},"é":1,"z":0}'`
    expect(helmJson).toContain('"x":{"!x":3,"10":1,"1a":{"007":1,"10":[{"5":5,"a":1}],"2":"b","b":"c"},"9":2,"z":0,"é":1}');
    // A JS object cannot hold that order: the codec must write it itself (checked by the test above).
    expect(Object.keys(decodeRelease(text).config?.x as object)).toEqual(['9', '10', '!x', '1a', 'z', 'é']);
  });

  it('keeps helm 4 fields (apply_method, schemamodtime) and helm 3 zero times ("deleted": "")', () => {
    const h4 = decodeRelease(readFileSync(join(dir, 'helm4-web4.v1.txt'), 'utf8').trim());
    expect(h4.apply_method).toBe('ssa');
    expect(h4.chart).toHaveProperty('schemamodtime');
    const h3 = decodeRelease(readFileSync(join(dir, 'helm3-web3.v1.txt'), 'utf8').trim());
    expect(h3.info.deleted).toBe('');
  });
});
