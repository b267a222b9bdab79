/**
 * Codec throughput over a corpus of realistic records: encodeRelease, decodeRelease, the same
 * decode from the Secret's wire form (what SecretsReleaseStore does), and the floor — plain
 * base64 → gunzipSync → JSON.parse on the same data — plus decode's stages timed one by one.
 */
import { gunzipSync } from 'node:zlib';

import { decodeRelease, encodeRelease, validateRelease } from '../src/release/codec.ts';
import type { Release } from '../src/release/record.ts';
import { collectGarbage, MB, summarize, timeSyncMs, type Summary } from './stats.ts';

export interface CodecResult {
  readonly records: number;
  readonly iterations: number;
  /** Warmup rounds, each over a tenth of the corpus. */
  readonly warmup: number;
  readonly jsonBytes: number;
  readonly encodedBytes: number;
  readonly compressionRatio: number;
  readonly manifestBytes: { readonly min: number; readonly max: number; readonly mean: number };
  readonly recordJsonBytes: { readonly min: number; readonly max: number; readonly mean: number };
  readonly cases: readonly {
    readonly id: string;
    readonly label: string;
    readonly ms: Summary;
    /** Throughput in MB/s (10^6 bytes) of JSON bytes and of encoded (base64 text) bytes, from the median time. */
    readonly jsonMBps: Summary;
    readonly encodedMBps: Summary;
  }[];
  /** decodeRelease median time ÷ floor median time (1.0 = as fast as gunzip + JSON.parse). */
  readonly decodeVsFloor: number;
  /** Store-path decode (which also undoes the API's own base64 layer) median ÷ floor median. */
  readonly storeDecodeVsFloor: number;
}

let sink = 0; // keeps results observable so nothing is optimised away

export function runCodecBench(records: readonly Release[], iterations: number, warmup: number): CodecResult {
  const texts = records.map(encodeRelease);
  const wire = texts.map((t) => Buffer.from(t).toString('base64')); // V1Secret.data.release
  const jsonTexts = texts.map((t) => gunzipSync(Buffer.from(t, 'base64')).toString('utf8'));
  const gz = texts.map((t) => Buffer.from(t, 'base64'));
  const parsed = jsonTexts.map((j) => JSON.parse(j) as unknown);
  const jsonBytes = jsonTexts.reduce((a, j) => a + Buffer.byteLength(j), 0);
  const encodedBytes = texts.reduce((a, t) => a + t.length, 0);
  const manifests = records.map((r) => Buffer.byteLength(r.manifest ?? ''));
  const sizes = jsonTexts.map((j) => Buffer.byteLength(j));
  const range = (xs: number[]) => ({
    min: Math.min(...xs),
    max: Math.max(...xs),
    mean: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length),
  });

  // Each case processes the first n records; timed passes use the whole corpus.
  const each = (n: number, fn: (i: number) => number) => {
    for (let i = 0; i < n; i++) sink += fn(i);
  };
  const cases: { id: string; label: string; run: (n: number) => void }[] = [
    { id: 'encode', label: 'encodeRelease (JSON → gzip -9 → base64)', run: (n) => each(n, (i) => encodeRelease(records[i]!).length) },
    { id: 'decode', label: 'decodeRelease (base64 → gunzip → JSON.parse → zod)', run: (n) => each(n, (i) => decodeRelease(texts[i]!).version) },
    {
      id: 'floor',
      label: 'floor: base64 → gunzipSync → JSON.parse',
      run: (n) => each(n, (i) => (JSON.parse(gunzipSync(Buffer.from(texts[i]!, 'base64')).toString('utf8')) as Release).version),
    },
    {
      id: 'store-decode',
      label: "store path: Secret wire value → base64 → decodeRelease",
      run: (n) => each(n, (i) => decodeRelease(Buffer.from(wire[i]!, 'base64').toString('latin1')).version),
    },
    // decodeRelease's stages, each alone.
    { id: 'stage-base64', label: 'stage: Buffer.from(text, base64)', run: (n) => each(n, (i) => Buffer.from(texts[i]!, 'base64').length) },
    {
      id: 'stage-canonical',
      label: 'stage: canonical check (re-encode base64, compare)',
      run: (n) => each(n, (i) => (gz[i]!.toString('base64') === texts[i] ? 1 : 0)),
    },
    { id: 'stage-gunzip', label: 'stage: gunzipSync + utf8', run: (n) => each(n, (i) => gunzipSync(gz[i]!).toString('utf8').length) },
    { id: 'stage-json', label: 'stage: JSON.parse', run: (n) => each(n, (i) => (JSON.parse(jsonTexts[i]!) as Release).version) },
    { id: 'stage-validate', label: 'stage: validateRelease (zod)', run: (n) => each(n, (i) => validateRelease(parsed[i]).version) },
  ];

  // Warm up on a tenth of the corpus per warmup round (the JIT needs repetitions, not volume).
  const warmCount = Math.max(1, Math.ceil(records.length / 10));
  for (let w = 0; w < warmup; w++) for (const c of cases) c.run(warmCount);
  const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  for (let it = 0; it < iterations; it++) {
    for (const c of cases) {
      collectGarbage();
      samples.get(c.id)!.push(timeSyncMs(() => c.run(records.length)));
    }
    process.stderr.write(`bench: codec pass ${it + 1}/${iterations}\n`);
  }

  const out = cases.map((c) => {
    const ms = samples.get(c.id)!;
    return {
      id: c.id,
      label: c.label,
      ms: summarize(ms),
      jsonMBps: summarize(ms.map((t) => jsonBytes / MB / (t / 1000))),
      encodedMBps: summarize(ms.map((t) => encodedBytes / MB / (t / 1000))),
    };
  });
  const median = (id: string) => out.find((c) => c.id === id)!.ms.median;
  if (sink === -1) console.log(sink);
  return {
    records: records.length,
    iterations,
    warmup,
    jsonBytes,
    encodedBytes,
    compressionRatio: jsonBytes / gz.reduce((a, b) => a + b.length, 0),
    manifestBytes: range(manifests),
    recordJsonBytes: range(sizes),
    cases: out,
    decodeVsFloor: median('decode') / median('floor'),
    storeDecodeVsFloor: median('store-decode') / median('floor'),
  };
}
