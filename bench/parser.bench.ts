// Exposition parser throughput: sloctl's parser vs the `parse-prometheus-text-format` package, on
// the same large realistic /metrics body, in one process, alternating, several rounds.
//
//   node --import tsx bench/parser.bench.ts [--mb 8] [--rounds 9]
//
// Prints MB/s and samples/s (median of the rounds) for both, the ratio ours/theirs, and a markdown
// table row. Before timing it checks that both parsers agree on the sample count and on the sum of
// the sample values (on the body with its `# TYPE` lines removed, because that package folds the
// buckets of every labelled histogram of a family into one object, which cannot be counted).

import { StringDecoder } from 'node:string_decoder';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createExpositionParser, parseExposition } from '../src/observe/index.ts';
import { generateExposition } from './fixtures/generate-exposition.ts';

const theirs = parsePrometheusTextFormat;

function arg(name: string, d: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
}

const targetMB = arg('mb', 8);
const rounds = arg('rounds', 9);
const text = generateExposition({ targetBytes: targetMB * 1e6 });
const bytes = Buffer.byteLength(text, 'utf8');
const lines = text.split('\n').length;

// --- agreement --------------------------------------------------------------------------------

const ours = parseExposition(text, { maxSeries: Infinity });
if (ours.errors.length > 0) throw new Error(`our parser reported errors: ${ours.errors[0].message}`);
let ourSamples = 0;
let ourSum = 0;
for (const f of ours.families) {
  ourSamples += f.samples.length;
  for (const s of f.samples) ourSum += s.value;
}
const untyped = text
  .split('\n')
  .filter((l) => !l.startsWith('# TYPE '))
  .join('\n');
let theirSamples = 0;
let theirSum = 0;
for (const f of theirs(untyped)) {
  theirSamples += f.metrics.length;
  for (const m of f.metrics) theirSum += Number(m.value);
}
const untypedOurs = parseExposition(untyped, { maxSeries: Infinity });
const untypedOurSamples = untypedOurs.families.reduce((n, f) => n + f.samples.length, 0);
if (ourSamples !== theirSamples || untypedOurSamples !== ourSamples) {
  throw new Error(`sample counts differ: ours ${ourSamples} (untyped body: ${untypedOurSamples}), theirs ${theirSamples}`);
}
if (Math.abs(ourSum - theirSum) > 1e-9 * Math.abs(ourSum)) {
  throw new Error(`sample value sums differ: ours ${ourSum}, theirs ${theirSum}`);
}
const theirTypedFamilies = theirs(text).length;
if (theirTypedFamilies !== ours.families.length) {
  throw new Error(`family counts differ: ours ${ours.families.length}, theirs ${theirTypedFamilies}`);
}

// --- timing -----------------------------------------------------------------------------------

let sink = 0;
function timeOurs(): number {
  const t0 = process.hrtime.bigint();
  const r = parseExposition(text, { maxSeries: Infinity });
  const t1 = process.hrtime.bigint();
  sink += r.families.length;
  return Number(t1 - t0) / 1e9;
}
// The body as an HTTP client hands it over: 64 KiB byte chunks decoded to (flat) strings, decoded
// before the clock starts, since decoding is the same for any parser.
const body = Buffer.from(text, 'utf8');
const decoder = new StringDecoder('utf8');
const chunks: string[] = [];
for (let i = 0; i < body.length; i += 64 * 1024) chunks.push(decoder.write(body.subarray(i, i + 64 * 1024)));
chunks.push(decoder.end());

function timeOursStreaming(): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const p = createExpositionParser(() => void n++, undefined, { maxSeries: Infinity });
  for (const c of chunks) p.write(c);
  p.end();
  const t1 = process.hrtime.bigint();
  if (n !== ourSamples) throw new Error(`streaming parser saw ${n} samples, expected ${ourSamples}`);
  return Number(t1 - t0) / 1e9;
}
function timeTheirs(): number {
  const t0 = process.hrtime.bigint();
  const r = theirs(text);
  const t1 = process.hrtime.bigint();
  sink += r.length;
  return Number(t1 - t0) / 1e9;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Warm-up (JIT) for all three, not measured.
timeOurs();
timeTheirs();
timeOursStreaming();

const tOurs: number[] = [];
const tTheirs: number[] = [];
const tStream: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first so neither always runs after the other's garbage.
  if (r % 2 === 0) {
    tOurs.push(timeOurs());
    tTheirs.push(timeTheirs());
  } else {
    tTheirs.push(timeTheirs());
    tOurs.push(timeOurs());
  }
  tStream.push(timeOursStreaming());
}

const mOurs = median(tOurs);
const mTheirs = median(tTheirs);
const mStream = median(tStream);
const mb = bytes / 1e6;
const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (who: string, t: number) =>
  `${who.padEnd(42)} ${fmt(mb / t).padStart(8)} MB/s  ${fmt(ourSamples / t / 1e6, 2).padStart(6)} M samples/s  (median ${fmt(t * 1000)} ms)`;

console.log(`command: node --import tsx bench/parser.bench.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log(
  `fixture: ${fmt(mb, 2)} MB, ${lines.toLocaleString('en-US')} lines, ${ourSamples.toLocaleString('en-US')} samples, ${ours.families.length} families (both parsers agree on ${theirSamples.toLocaleString('en-US')} samples and their value sum)`,
);
console.log(`rounds: ${rounds} (alternating, after one warm-up each)`);
console.log(row('sloctl parseExposition (one-shot)', mOurs));
console.log(row('sloctl createExpositionParser (64 KiB chunks)', mStream));
console.log(row('parse-prometheus-text-format', mTheirs));
console.log(`ratio ours/theirs: ${fmt(mTheirs / mOurs, 2)}x (one-shot), ${fmt(mTheirs / mStream, 2)}x (streaming)`);
console.log('');
console.log('| bench | fixture | sloctl MB/s | sloctl samples/s | parse-prometheus-text-format MB/s | samples/s | ratio |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
console.log(
  `| exposition parser (\`node --import tsx bench/parser.bench.ts\`) | ${fmt(mb, 1)} MB, ${ourSamples.toLocaleString('en-US')} samples | ${fmt(mb / mOurs)} | ${fmt(ourSamples / mOurs / 1e6, 2)} M | ${fmt(mb / mTheirs)} | ${fmt(ourSamples / mTheirs / 1e6, 2)} M | ${fmt(mTheirs / mOurs, 2)}x |`,
);
if (sink < 0) console.log(sink);
