// A parser for the Prometheus text format (0.0.4) and OpenMetrics 1.0 text.
//
// One line scanner serves both entry points: parseExposition (a whole body) feeds the streaming
// parser a single chunk, so the chunked and one-shot results are the same by construction.
//
// Robustness: every line is parsed in isolation, so a bad line costs one located error and the
// parser carries on with the next. Nothing grows with the input beyond the configured bounds: a
// line longer than maxLineLength is reported and skipped (the streaming parser stops buffering it
// and discards up to the next newline), samples past maxSeries are dropped with one error, errors
// past maxErrors are counted into one last error.
//
// Speed: lines are found with indexOf('\n') and scanned in place with charCodeAt; strings are cut
// once per token (metric name, label name, label value), and tokens equal to the previous
// sample's are reused instead of cut again, which also keeps repeated label values shared.

import {
  BSLASH,
  CHAR,
  COMMA,
  CR,
  EQ,
  HASH,
  LABEL_CHAR,
  LABEL_START,
  LBRACE,
  METRIC_CHAR,
  METRIC_START,
  QUOTE,
  RBRACE,
  SP,
  TAB,
  numberOk,
  regionIs,
  sameRegion,
  scanFloat,
  scanInt,
  showChar,
  showToken,
} from './exposition-lexer.ts';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'gaugehistogram'
  | 'info'
  | 'stateset'
  | 'unknown';

export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch (OpenMetrics writes seconds; they are converted). */
  timestamp?: number;
}

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_count`, `x_total`, `x_created`, ... */
  name: string;
  /** Label pairs in exposition order; histogram `le` and summary `quantile` are kept here. */
  labels: Record<string, string>;
  value: number;
  /**
   * Milliseconds since the epoch. The Prometheus text format writes integer milliseconds; OpenMetrics
   * writes float seconds, converted here with Math.round(seconds * 1000).
   */
  timestamp?: number;
  /** OpenMetrics exemplar (` # {trace_id="..."} 1.0 [timestamp]`). */
  exemplar?: Exemplar;
}

export interface MetricFamilyInfo {
  /** The family name: `x` for `x_bucket`/`x_sum`/`x_count`, as declared by `# TYPE`/`# HELP`. */
  name: string;
  /** Declared type; `untyped` (Prometheus) or `unknown` (OpenMetrics) when there is no `# TYPE`. */
  type: MetricType;
  help?: string;
  unit?: string;
}

export interface MetricFamily extends MetricFamilyInfo {
  samples: Sample[];
}

export interface ExpositionError {
  /** 1-based line number. */
  line: number;
  /** 1-based column, in UTF-16 code units (what editors such as VS Code count). */
  col: number;
  /** One line, location first: `line 12:17: expected '=' after label name "method"`. */
  message: string;
}

export interface ParseResult {
  families: MetricFamily[];
  errors: ExpositionError[];
  /** The format the body was read as (for 'auto': 'openmetrics' once an OpenMetrics-only construct was seen). */
  format: ExpositionFormat;
}

export interface ExpositionOptions {
  /**
   * 'auto' (default) reads the Prometheus text format and switches to OpenMetrics at the first
   * construct only OpenMetrics has (`# EOF`, `# UNIT`, an exemplar, an OpenMetrics-only type).
   * A caller that has the response's Content-Type should pass it through formatFromContentType.
   */
  format?: ExpositionFormat | 'auto';
  /** Samples accepted per exposition (each sample line is one series; like Prometheus's sample_limit). Default 200,000. */
  maxSeries?: number;
  /** Longest line, in UTF-16 code units, not counting the line break. Default 65,536. */
  maxLineLength?: number;
  /** Labels per sample (and per exemplar). Default 128. */
  maxLabels?: number;
  /** Longest label name. Default 1,024. */
  maxLabelNameLength?: number;
  /** Longest label value (as written, before unescaping). Default 16,384. */
  maxLabelValueLength?: number;
  /** Errors reported before the rest are summarized in one last error. Default 100. */
  maxErrors?: number;
}

export const EXPOSITION_DEFAULTS = {
  maxSeries: 200_000,
  maxLineLength: 65_536,
  maxLabels: 128,
  maxLabelNameLength: 1_024,
  maxLabelValueLength: 16_384,
  maxErrors: 100,
} as const;

export interface ExpositionParser {
  /** Feed the next piece of the body; pieces may split lines, tokens and escapes anywhere. */
  write(chunk: string): void;
  /** The body is complete: parse a last line without a newline and run the end-of-body checks. */
  end(): ExpositionSummary;
  /** Characters held for an incomplete line; never more than maxLineLength + 1. */
  readonly bufferedLength: number;
  /** The format in effect so far (see ExpositionOptions.format). */
  readonly format: ExpositionFormat;
  /**
   * Every family read so far, in order, with how many samples it had: also one only declared
   * (`# TYPE`/`# HELP` and no sample), as prom-client writes a labelled metric before its first
   * observation.
   */
  familiesSeen(): DeclaredFamily[];
}

/** A family as read: its metadata and its sample count (0 for a family only declared). */
export interface DeclaredFamily extends MetricFamilyInfo {
  samples: number;
}

export interface ExpositionSummary {
  format: ExpositionFormat;
  samples: number;
  errors: number;
}

export type SampleHandler = (sample: Sample, family: MetricFamilyInfo) => void;
export type ErrorHandler = (error: ExpositionError) => void;

/** The format a scrape response declares: OpenMetrics for `application/openmetrics-text`, else Prometheus text. */
export function formatFromContentType(contentType: string | null | undefined): ExpositionFormat | 'auto' {
  if (!contentType) return 'auto';
  const ct = contentType.toLowerCase();
  if (ct.includes('application/openmetrics-text')) return 'openmetrics';
  if (ct.includes('text/plain')) return 'prometheus';
  return 'auto';
}

/** Parse a whole exposition body. Never throws on bad input: bad lines become located errors. */
export function parseExposition(text: string, opts: ExpositionOptions = {}): ParseResult {
  const errors: ExpositionError[] = [];
  const p = new ExpositionStream(null, (e) => errors.push(e), opts, true);
  p.write(typeof text === 'string' ? text : String(text));
  const summary = p.end();
  const families: MetricFamily[] = [];
  for (const { f } of p.familyList) {
    const out: MetricFamily = { name: f.name, type: f.type } as MetricFamily;
    if (f.help !== undefined) out.help = f.help;
    if (f.unit !== undefined) out.unit = f.unit;
    out.samples = f.samples;
    families.push(out);
  }
  return { families, errors, format: summary.format };
}

/**
 * A streaming parser: call write() with each chunk as it arrives and end() once. onSample gets each
 * sample with its family (the family object is shared by its samples and may gain help/unit later);
 * onError gets each located error. Exceptions thrown by the handlers propagate.
 */
export function createExpositionParser(
  onSample: SampleHandler,
  onError: ErrorHandler = () => {},
  opts: ExpositionOptions = {},
): ExpositionParser {
  return new ExpositionStream(onSample, onError, opts, false);
}

// ---------------------------------------------------------------------------------------------

const TYPES: Record<string, MetricType | undefined> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'untyped',
  gaugehistogram: 'gaugehistogram',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};
const OM_ONLY_TYPES = new Set<MetricType>(['gaugehistogram', 'info', 'stateset', 'unknown']);

/** Sample-name suffixes that belong to a family of each type (the bare name always does). */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
  stateset: [],
  untyped: [],
  unknown: [],
};
const ALL_SUFFIXES = ['_bucket', '_sum', '_count', '_created', '_total', '_gsum', '_gcount', '_info'];

/**
 * The tokens of the previous label set and where they were read in `src`, so that an equal token
 * in the next set reuses the string (compared in place, without cutting a new one).
 */
class LabelScratch {
  readonly names: string[] = [];
  readonly values: string[] = [];
  /** Offset of names[i] / values[i] in src; -1 when unknown (another chunk, or an unescaped value). */
  readonly nameAt: number[] = [];
  readonly valueAt: number[] = [];
  src: string | null = null;
  /** Label count of the previous set. */
  count = 0;
  /** Builds the labels record for the current name sequence; null when the sequence changed. */
  factory: LabelsFactory | null = null;
}

type LabelsFactory = (values: string[]) => Record<string, string>;

/**
 * Record builders per label-name sequence. Assigning properties one by one with varying keys
 * goes through V8's megamorphic (slow) path; an object literal per sequence is allocated with its
 * final shape at once. Label names are [a-zA-Z_][a-zA-Z0-9_]*, so the generated source cannot
 * carry anything but property names. The cache is process-wide, so it is bounded in entries and in
 * key size (hostile input cannot make it hold much); past the bounds, or where code generation is
 * disallowed, the generic builder is used.
 */
const FACTORIES = new Map<string, LabelsFactory>();
const MAX_FACTORIES = 1024;
const MAX_FACTORY_KEY = 512;
let codegen = true;

function labelsFactory(names: string[], n: number): LabelsFactory {
  const key = n === 0 ? '' : n === 1 ? names[0] : names.slice(0, n).join(',');
  let f = FACTORIES.get(key);
  if (f !== undefined) return f;
  const own = names.slice(0, n);
  if (codegen && FACTORIES.size < MAX_FACTORIES && key.length <= MAX_FACTORY_KEY && !own.includes('__proto__')) {
    try {
      const body = own.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ');
      f = new Function('v', `return { ${body} };`) as LabelsFactory;
      FACTORIES.set(key, f);
      return f;
    } catch {
      codegen = false;
    }
  }
  return (v) => buildLabels(own, v, own.length);
}

function buildLabels(names: string[], values: string[], n: number): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = names[i];
    if (k === '__proto__') Object.defineProperty(labels, k, { value: values[i], enumerable: true, writable: true, configurable: true });
    else labels[k] = values[i];
  }
  return labels;
}

interface FamilyState {
  f: MetricFamily;
  typed: boolean;
  samples: number;
}

class ExpositionStream implements ExpositionParser {
  readonly familyList: FamilyState[] = [];
  private readonly families = new Map<string, FamilyState>();
  /** Sample name -> family, filled on first sight of each sample name. */
  private readonly resolved = new Map<string, FamilyState>();

  private readonly maxSeries: number;
  private readonly maxLineLength: number;
  private readonly maxLabels: number;
  private readonly maxLabelNameLength: number;
  private readonly maxLabelValueLength: number;
  private readonly maxErrors: number;
  private readonly explicit: ExpositionFormat | 'auto';
  private om: boolean;

  private pending = '';
  private skipping = false;
  private ended = false;
  private lineNo = 1;
  private lineStart = 0; // start offset of the current line in the string being scanned

  private nSamples = 0;
  private seriesCut = false;
  private nErrors = 0;
  private familiesCut = false;
  private sawEOF = false;
  private afterEOFReported = false;

  // The previous sample's name and where it was read, to reuse the string when the next is equal.
  private nameTok = '';
  private nameAt = -1;
  private nameSrc: string | null = null;
  // The family the previous sample name resolved to.
  private prevName = '';
  private prevFam: FamilyState | null = null;
  private readonly sampleLabels = new LabelScratch();
  private readonly exemplarLabels = new LabelScratch();
  private nLabels = 0;
  private inHandler = false;

  constructor(
    private readonly onSample: SampleHandler | null,
    private readonly onError: ErrorHandler,
    opts: ExpositionOptions,
    private readonly collect: boolean,
  ) {
    const lim = (v: number | undefined, d: number) =>
      typeof v === 'number' && v >= 0 && !Number.isNaN(v) ? Math.floor(v) : d;
    this.maxSeries = lim(opts.maxSeries, EXPOSITION_DEFAULTS.maxSeries);
    this.maxLineLength = lim(opts.maxLineLength, EXPOSITION_DEFAULTS.maxLineLength);
    this.maxLabels = lim(opts.maxLabels, EXPOSITION_DEFAULTS.maxLabels);
    this.maxLabelNameLength = lim(opts.maxLabelNameLength, EXPOSITION_DEFAULTS.maxLabelNameLength);
    this.maxLabelValueLength = lim(opts.maxLabelValueLength, EXPOSITION_DEFAULTS.maxLabelValueLength);
    this.maxErrors = lim(opts.maxErrors, EXPOSITION_DEFAULTS.maxErrors);
    this.explicit = opts.format ?? 'auto';
    this.om = this.explicit === 'openmetrics';
  }

  get bufferedLength(): number {
    return this.pending.length;
  }

  familiesSeen(): DeclaredFamily[] {
    return this.familyList.map(({ f, samples }) => {
      const out: DeclaredFamily = { name: f.name, type: f.type, samples };
      if (f.help !== undefined) out.help = f.help;
      if (f.unit !== undefined) out.unit = f.unit;
      return out;
    });
  }

  get format(): ExpositionFormat {
    return this.om ? 'openmetrics' : 'prometheus';
  }

  write(chunk: string): void {
    if (this.ended) throw new Error('exposition parser: write() after end()');
    this.inHandler = false;
    const s = typeof chunk === 'string' ? chunk : String(chunk);
    let p = 0;
    if (this.skipping) {
      const nl = s.indexOf('\n');
      if (nl < 0) return;
      p = nl + 1;
      this.skipping = false;
      this.lineNo++;
    } else if (this.pending.length !== 0) {
      // Complete the pending line on its own, then scan the chunk in place (a concatenation of
      // the whole chunk would be a cons string, slower to read character by character).
      const nl = s.indexOf('\n');
      if (nl < 0) {
        if (this.pending.length + s.length > this.maxLineLength + 1) {
          this.pending = '';
          this.lineTooLong();
          this.skipping = true;
        } else {
          this.pending += s;
        }
        return;
      }
      const line = this.pending + s.slice(0, nl);
      this.pending = '';
      this.line(line, 0, line.length);
      this.lineNo++;
      p = nl + 1;
    }
    for (;;) {
      const nl = s.indexOf('\n', p);
      if (nl < 0) break;
      this.line(s, p, nl);
      this.lineNo++;
      p = nl + 1;
    }
    // The tail is an incomplete line. One more than maxLineLength may still end in a CR that the
    // line break strips; beyond that the line is too long whatever follows.
    if (s.length - p > this.maxLineLength + 1) {
      this.lineTooLong();
      this.skipping = true;
    } else {
      this.pending = p === 0 ? s : s.slice(p);
    }
  }

  end(): ExpositionSummary {
    this.inHandler = false;
    if (!this.ended) {
      this.ended = true;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pending.length !== 0) {
        const s = this.pending;
        this.pending = '';
        this.line(s, 0, s.length);
      }
      if (this.om && !this.sawEOF) {
        this.lineStart = 0;
        this.error(0, "missing '# EOF' at the end of the OpenMetrics exposition (truncated body?)");
      }
    }
    return { format: this.format, samples: this.nSamples, errors: this.nErrors };
  }

  // --- errors --------------------------------------------------------------------------------

  private lineTooLong(): void {
    this.lineStart = 0;
    this.error(
      this.maxLineLength,
      `line longer than maxLineLength (${this.maxLineLength} characters); skipped`,
    );
  }

  /** Report an error at offset pos of the current line (lineStart must be set). */
  private error(pos: number, message: string): void {
    const n = ++this.nErrors;
    if (n > this.maxErrors + 1) return;
    const line = this.lineNo;
    const col = pos - this.lineStart + 1;
    const text =
      n > this.maxErrors
        ? `line ${line}:${col}: more than maxErrors (${this.maxErrors}) errors; further errors are not reported`
        : `line ${line}:${col}: ${message}`;
    this.inHandler = true;
    this.onError({ line, col, message: text });
    this.inHandler = false;
  }

  // --- lines ---------------------------------------------------------------------------------

  private line(s: string, a: number, b: number): void {
    this.lineStart = a;
    if (b > a && s.charCodeAt(b - 1) === CR) b--;
    if (b - a > this.maxLineLength) {
      this.error(a + this.maxLineLength, `line longer than maxLineLength (${this.maxLineLength} characters); skipped`);
      return;
    }
    // Blanks before the first token are allowed (as Go's expfmt does).
    let f = a;
    while (f < b && (s.charCodeAt(f) === SP || s.charCodeAt(f) === TAB)) f++;
    if (this.sawEOF) {
      if (b > a && !this.afterEOFReported) {
        this.afterEOFReported = true;
        this.error(a, "unexpected content after '# EOF'");
      }
      return;
    }
    if (f === b) {
      if (this.explicit === 'openmetrics') this.error(a, 'empty line (OpenMetrics does not allow empty lines)');
      return;
    }
    try {
      if (s.charCodeAt(f) === HASH) this.comment(s, f, b);
      else this.sample(s, f, b);
    } catch (e) {
      if (this.inHandler) {
        // The caller's own handler threw: that is theirs to see.
        this.inHandler = false;
        throw e;
      }
      // A parser bug must not take the caller down: report it on this line and go on.
      this.error(a, `internal parser error: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    }
  }

  private skipWs(s: string, p: number, b: number): number {
    while (p < b) {
      const c = s.charCodeAt(p);
      if (c !== SP && c !== TAB) break;
      p++;
    }
    return p;
  }

  private switchToOM(): void {
    if (this.explicit === 'auto') this.om = true;
  }

  // --- comments and metadata -----------------------------------------------------------------

  private comment(s: string, a: number, b: number): void {
    let p = a + 1;
    const strict = this.explicit === 'openmetrics';
    if (p >= b || (s.charCodeAt(p) !== SP && s.charCodeAt(p) !== TAB)) {
      if (strict) this.error(p, "expected a space after '#' (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)");
      return;
    }
    p = this.skipWs(s, p, b);
    const ks = p;
    while (p < b) {
      const c = s.charCodeAt(p);
      if (c === SP || c === TAB) break;
      p++;
    }
    const klen = p - ks;
    let kw = '';
    if (klen === 4) {
      if (regionIs(s, ks, 'HELP')) kw = 'HELP';
      else if (regionIs(s, ks, 'TYPE')) kw = 'TYPE';
      else if (regionIs(s, ks, 'UNIT')) kw = 'UNIT';
    } else if (klen === 3 && regionIs(s, ks, 'EOF') && this.explicit !== 'prometheus') {
      if (this.skipWs(s, p, b) === b) {
        this.sawEOF = true;
        this.switchToOM();
        return;
      }
    }
    if (kw === '' || (kw === 'UNIT' && this.explicit === 'prometheus')) {
      // A plain comment (the Prometheus text format allows any).
      if (strict) this.error(a, 'unexpected comment (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)');
      return;
    }
    if (kw === 'UNIT') this.switchToOM();

    // The metric family name.
    if (p >= b) return this.error(p, `expected a metric name after '# ${kw}'`);
    p = this.skipWs(s, p, b);
    const ns = p;
    const c0 = charAt(s, p, b);
    if (!(c0 < 128 && CHAR[c0] & METRIC_START)) {
      return this.error(p, `expected a metric name after '# ${kw}', found ${showChar(c0)}`);
    }
    p++;
    while (p < b) {
      const c = s.charCodeAt(p);
      if (!(c < 128 && CHAR[c] & METRIC_CHAR)) break;
      p++;
    }
    const ne = p;
    if (p < b && s.charCodeAt(p) !== SP && s.charCodeAt(p) !== TAB) {
      return this.error(p, `unexpected character ${showChar(s.charCodeAt(p))} in metric name ${showToken(s.slice(ns, p + 1))}`);
    }
    const name = s.slice(ns, ne);
    p = this.skipWs(s, p, b);

    if (kw === 'HELP') {
      const st = this.familyFor(name, ns);
      if (st === null) return;
      if (st.f.help !== undefined) return this.error(a, `duplicate '# HELP' for ${showToken(name)}`);
      st.f.help = this.unescapeHelp(s, p, b);
      return;
    }
    // TYPE or UNIT: one token.
    const ts = p;
    while (p < b) {
      const c = s.charCodeAt(p);
      if (c === SP || c === TAB) break;
      p++;
    }
    const te = p;
    p = this.skipWs(s, p, b);
    if (p < b) return this.error(p, `unexpected text after '# ${kw} ${name}' and its ${kw === 'TYPE' ? 'type' : 'unit'} ${showToken(s.slice(ts, te))}`);
    if (kw === 'UNIT') {
      const st = this.familyFor(name, ns);
      if (st === null) return;
      if (st.f.unit !== undefined) return this.error(a, `duplicate '# UNIT' for ${showToken(name)}`);
      st.f.unit = s.slice(ts, te);
      return;
    }
    if (ts === te) return this.error(ts, `expected a type after '# TYPE ${name}'`);
    const word = s.slice(ts, te);
    const lower = Object.hasOwn(TYPES, word) ? word : word.toLowerCase(); // expfmt accepts any case
    const type = Object.hasOwn(TYPES, lower) ? TYPES[lower] : undefined;
    if (type === undefined) {
      return this.error(
        ts,
        `unknown metric type ${showToken(word)} (expected counter, gauge, histogram, summary, untyped${this.explicit === 'prometheus' ? '' : ', gaugehistogram, info, stateset or unknown'})`,
      );
    }
    if (OM_ONLY_TYPES.has(type)) {
      if (this.explicit === 'prometheus') {
        return this.error(ts, `metric type "${type}" exists only in OpenMetrics, not in the Prometheus text format`);
      }
      this.switchToOM();
    }
    const st = this.familyFor(name, ns);
    if (st === null) return;
    if (st.typed) return this.error(a, `duplicate '# TYPE' for ${showToken(name)}`);
    if (st.samples > 0) return this.error(a, `'# TYPE' for ${showToken(name)} after its samples`);
    st.typed = true;
    st.f.type = type;
  }

  /** The family named by a metadata line, created on first sight; null when the family bound is hit. */
  private familyFor(name: string, pos: number): FamilyState | null {
    const st = this.families.get(name);
    if (st !== undefined) return st;
    if (this.familyList.length >= this.maxSeries) {
      if (!this.familiesCut) {
        this.familiesCut = true;
        this.error(pos, `more than maxSeries (${this.maxSeries}) metric families; the rest are dropped`);
      }
      return null;
    }
    // A sample name that resolved elsewhere (e.g. `x_total` to family `x`) now has its own family.
    this.resolved.delete(name);
    this.prevFam = null;
    this.prevName = '';
    return this.newFamily(name);
  }

  private newFamily(name: string): FamilyState {
    const f: MetricFamily = { name, type: this.om ? 'unknown' : 'untyped', samples: [] };
    const st: FamilyState = { f, typed: false, samples: 0 };
    this.families.set(name, st);
    this.familyList.push(st);
    return st;
  }

  /** HELP text: `\\` and `\n` (and in OpenMetrics `\"`) unescaped; other backslashes kept as written. */
  private unescapeHelp(s: string, a: number, b: number): string {
    let i = a;
    while (i < b && s.charCodeAt(i) !== BSLASH) i++;
    if (i >= b) return s.slice(a, b);
    let out = '';
    let run = a;
    for (; i < b - 1; i++) {
      if (s.charCodeAt(i) !== BSLASH) continue;
      const d = s.charCodeAt(i + 1);
      const rep = d === BSLASH ? '\\' : d === 110 ? '\n' : d === QUOTE && this.om ? '"' : '';
      if (rep !== '') {
        out += s.slice(run, i) + rep;
        run = i + 2;
      }
      i++;
    }
    return out + s.slice(run, b);
  }

  // --- samples -------------------------------------------------------------------------------

  private sample(s: string, a: number, b: number): void {
    if (this.nSamples >= this.maxSeries) {
      if (!this.seriesCut) {
        this.seriesCut = true;
        this.error(a, `more than maxSeries (${this.maxSeries}) samples; this and the following samples are dropped`);
      }
      return;
    }
    // Metric name.
    let p = a;
    let c = s.charCodeAt(p);
    if (!(c < 128 && CHAR[c] & METRIC_START)) {
      if (c === LBRACE) {
        return this.error(p, "expected a metric name before '{' (quoted UTF-8 metric names are not supported)");
      }
      return this.error(p, `expected a metric name or '#', found ${showChar(c)}`);
    }
    // Fast path: the previous sample's name (already validated), read in place.
    let name = this.nameTok;
    if (
      this.nameSrc === s &&
      a + name.length < b &&
      sameRegion(s, a, this.nameAt, name.length) &&
      !((c = s.charCodeAt(a + name.length)) < 128 && CHAR[c] & METRIC_CHAR)
    ) {
      p = a + name.length;
    } else {
      p++;
      while (p < b) {
        c = s.charCodeAt(p);
        if (!(c < 128 && CHAR[c] & METRIC_CHAR)) break;
        p++;
      }
      if (name.length !== p - a || !regionIs(s, a, name)) {
        name = s.slice(a, p);
        this.nameTok = name;
      }
    }
    this.nameAt = a;
    this.nameSrc = s;

    // Labels.
    let nl = 0;
    if (p < b && c === LBRACE) {
      p = this.labels(s, p, b, name, this.sampleLabels);
      if (p < 0) return;
      nl = this.nLabels;
      if (p >= b) return this.error(p, `expected a value after the labels of ${showToken(name)}`);
      c = s.charCodeAt(p);
      if (c !== SP && c !== TAB) {
        return this.error(p, `expected a space before the value of ${showToken(name)}, found ${showChar(c)}`);
      }
    } else if (p >= b) {
      return this.error(p, `expected a value after metric name ${showToken(name)}`);
    } else if (c !== SP && c !== TAB) {
      return this.error(p, `unexpected character ${showChar(c)} in metric name ${showToken(s.slice(a, p + 1))}`);
    }

    // Value.
    p = this.skipWs(s, p, b);
    if (p >= b) return this.error(p, `expected a value after ${showToken(name)}`);
    const vs = p;
    while (p < b) {
      c = s.charCodeAt(p);
      if (c === SP || c === TAB) break;
      p++;
    }
    const value = scanFloat(s, vs, p);
    if (!numberOk) return this.error(vs, `invalid value ${showToken(s.slice(vs, p))} for ${showToken(name)}`);

    // Optional timestamp, optional exemplar.
    p = this.skipWs(s, p, b);
    let t0 = -1;
    let t1 = -1;
    let exemplar: Exemplar | undefined;
    if (p < b && s.charCodeAt(p) !== HASH) {
      t0 = p;
      while (p < b) {
        c = s.charCodeAt(p);
        if (c === SP || c === TAB) break;
        p++;
      }
      t1 = p;
      p = this.skipWs(s, p, b);
    }
    if (p < b) {
      if (s.charCodeAt(p) !== HASH) {
        return this.error(p, `unexpected text after the timestamp of ${showToken(name)}`);
      }
      const ex = this.exemplar(s, p, b);
      if (ex === null) return;
      exemplar = ex;
    }
    let timestamp: number | undefined;
    if (t0 >= 0) {
      timestamp = this.timestamp(s, t0, t1);
      if (timestamp === undefined) return;
    }

    // The family.
    let st = this.prevFam;
    if (st === null || name !== this.prevName) {
      st = this.resolved.get(name) ?? this.resolve(name, a);
      if (st === null) return;
      this.prevName = name;
      this.prevFam = st;
    }

    // The sample.
    const sl = this.sampleLabels;
    if (nl === 0) {
      if (sl.count !== 0) sl.factory = null;
      sl.count = 0;
    }
    let make = sl.factory;
    if (make === null) {
      make = labelsFactory(sl.names, nl);
      sl.factory = make;
    }
    const labels = make(sl.values);
    const smp: Sample = timestamp === undefined ? { name, labels, value } : { name, labels, value, timestamp };
    if (exemplar !== undefined) smp.exemplar = exemplar;
    this.nSamples++;
    st.samples++;
    if (this.collect) st.f.samples.push(smp);
    else if (this.onSample !== null) {
      this.inHandler = true;
      this.onSample(smp, st.f);
      this.inHandler = false;
    }
  }

  private timestamp(s: string, a: number, b: number): number | undefined {
    if (this.om) {
      const sec = scanFloat(s, a, b);
      if (!numberOk || !Number.isFinite(sec)) {
        this.error(a, `invalid timestamp ${showToken(s.slice(a, b))} (OpenMetrics: seconds since the epoch, e.g. 1712345678.123)`);
        return undefined;
      }
      return Math.round(sec * 1000);
    }
    const ms = scanInt(s, a, b);
    if (!numberOk && this.explicit === 'auto') {
      // Prometheus text timestamps are integers: a float one is OpenMetrics (seconds).
      const sec = scanFloat(s, a, b);
      if (numberOk && Number.isFinite(sec)) {
        this.om = true;
        return Math.round(sec * 1000);
      }
    }
    if (!numberOk) {
      this.error(a, `invalid timestamp ${showToken(s.slice(a, b))} (Prometheus text: integer milliseconds since the epoch)`);
      return undefined;
    }
    return ms;
  }

  /** The family a sample name belongs to: the family of that name, or of its base when the suffix fits the type. */
  private resolve(name: string, pos: number): FamilyState | null {
    let st = this.families.get(name);
    if (st === undefined) {
      for (const suffix of ALL_SUFFIXES) {
        if (name.length > suffix.length && name.endsWith(suffix)) {
          const base = this.families.get(name.slice(0, name.length - suffix.length));
          if (base !== undefined && SUFFIXES[base.f.type].includes(suffix)) {
            st = base;
            break;
          }
        }
      }
    }
    if (st === undefined) {
      if (this.familyList.length >= this.maxSeries) {
        if (!this.familiesCut) {
          this.familiesCut = true;
          this.error(pos, `more than maxSeries (${this.maxSeries}) metric families; the rest are dropped`);
        }
        return null;
      }
      st = this.newFamily(name);
    }
    this.resolved.set(name, st);
    return st;
  }

  /**
   * Labels from the '{' at p into names/values (entries equal to the previous call's are reused).
   * Returns the offset after '}' and sets nLabels, or -1 after reporting an error.
   */
  private labels(s: string, p: number, b: number, metric: string, scratch: LabelScratch): number {
    const open = p;
    const { names, values, nameAt, valueAt } = scratch;
    if (scratch.src !== s) {
      // Offsets of the previous tokens refer to another chunk: compare by content for this set.
      nameAt.fill(-1);
      valueAt.fill(-1);
      scratch.src = s;
    }
    p = this.skipWs(s, p + 1, b);
    let n = 0;
    let same = true;
    // Names are overwritten as they are read: the factory stays valid only if the set completes
    // with the same names.
    const factory = scratch.factory;
    scratch.factory = null;
    for (;;) {
      if (p >= b) {
        this.error(open, `unterminated label set of ${showToken(metric)}: missing '}'`);
        return -1;
      }
      let c = s.charCodeAt(p);
      if (c === RBRACE) {
        p++;
        break;
      }
      // Label name.
      if (!(c < 128 && CHAR[c] & LABEL_START)) {
        this.error(
          p,
          c === QUOTE
            ? 'expected a label name, found \'"\' (quoted UTF-8 label names are not supported)'
            : `expected a label name in the labels of ${showToken(metric)}, found ${showChar(c)}`,
        );
        return -1;
      }
      if (n >= this.maxLabels) {
        this.error(p, `more than maxLabels (${this.maxLabels}) labels on ${showToken(metric)}`);
        return -1;
      }
      const ns = p;
      // Fast path: the name the previous set had at this index (already validated), read in place.
      let lname = names[n];
      const nat = nameAt[n];
      if (
        nat >= 0 &&
        ns + lname.length < b &&
        sameRegion(s, ns, nat, lname.length) &&
        !((c = s.charCodeAt(ns + lname.length)) < 128 && CHAR[c] & LABEL_CHAR)
      ) {
        p = ns + lname.length;
      } else {
        p++;
        while (p < b) {
          c = s.charCodeAt(p);
          if (!(c < 128 && CHAR[c] & LABEL_CHAR)) break;
          p++;
        }
        if (p - ns > this.maxLabelNameLength) {
          this.error(ns, `label name longer than maxLabelNameLength (${this.maxLabelNameLength})`);
          return -1;
        }
        if (lname === undefined || lname.length !== p - ns || !regionIs(s, ns, lname)) {
          lname = s.slice(ns, p);
          same = false;
        }
      }
      for (let j = 0; j < n; j++) {
        if (names[j] === lname) {
          this.error(ns, `duplicate label name ${showToken(lname)} on ${showToken(metric)}`);
          return -1;
        }
      }
      p = this.skipWs(s, p, b);
      if (p >= b || s.charCodeAt(p) !== EQ) {
        this.error(p, `expected '=' after label name ${showToken(lname)}, found ${showChar(charAt(s, p, b))}`);
        return -1;
      }
      p = this.skipWs(s, p + 1, b);
      if (p >= b || s.charCodeAt(p) !== QUOTE) {
        this.error(p, `expected '"' to open the value of label ${showToken(lname)}, found ${showChar(charAt(s, p, b))}`);
        return -1;
      }
      // Label value.
      const q = p;
      const vs = p + 1;
      let lvalue = values[n];
      const vat = valueAt[n];
      if (
        vat >= 0 &&
        vs + lvalue.length < b &&
        s.charCodeAt(vs + lvalue.length) === QUOTE &&
        sameRegion(s, vs, vat, lvalue.length)
      ) {
        // The previous set's value at this index (no quote or backslash in it), read in place.
        p = vs + lvalue.length + 1;
      } else {
        p = vs;
        let escaped = false;
        while (p < b) {
          c = s.charCodeAt(p);
          if (c === QUOTE) break;
          if (c === BSLASH) {
            escaped = true;
            p += 2;
          } else {
            p++;
          }
        }
        if (p >= b) {
          this.error(q, `unterminated value of label ${showToken(lname)}: missing closing '"'`);
          return -1;
        }
        const ve = p;
        p++;
        if (ve - vs > this.maxLabelValueLength) {
          this.error(vs, `value of label ${showToken(lname)} longer than maxLabelValueLength (${this.maxLabelValueLength})`);
          return -1;
        }
        if (escaped) {
          lvalue = unescapeLabel(s, vs, ve);
          valueAt[n] = -1;
        } else {
          if (lvalue === undefined || lvalue.length !== ve - vs || !regionIs(s, vs, lvalue)) lvalue = s.slice(vs, ve);
          valueAt[n] = vs;
        }
      }
      names[n] = lname;
      nameAt[n] = ns;
      values[n] = lvalue;
      n++;
      // Separator.
      p = this.skipWs(s, p, b);
      if (p >= b) {
        this.error(open, `unterminated label set of ${showToken(metric)}: missing '}'`);
        return -1;
      }
      c = s.charCodeAt(p);
      if (c === COMMA) {
        const comma = p;
        p = this.skipWs(s, p + 1, b);
        if (p < b && s.charCodeAt(p) === RBRACE && this.explicit === 'openmetrics') {
          this.error(comma, "trailing ',' in a label set (not allowed in OpenMetrics)");
          return -1;
        }
        continue;
      }
      if (c === RBRACE) {
        p++;
        break;
      }
      this.error(p, `expected ',' or '}' after the value of label ${showToken(lname)}, found ${showChar(c)}`);
      return -1;
    }
    this.nLabels = n;
    if (same && n === scratch.count) scratch.factory = factory;
    scratch.count = n;
    return p;
  }

  /** An OpenMetrics exemplar from the '#' at p to b; null after reporting an error. */
  private exemplar(s: string, p: number, b: number): Exemplar | null {
    if (this.explicit === 'prometheus') {
      this.error(p, "unexpected '#' after the value: exemplars exist only in OpenMetrics");
      return null;
    }
    this.switchToOM();
    const h = p;
    p++;
    if (p >= b || (s.charCodeAt(p) !== SP && s.charCodeAt(p) !== TAB)) {
      this.error(p, "expected ' {' after '#' to start an exemplar");
      return null;
    }
    p = this.skipWs(s, p, b);
    if (p >= b || s.charCodeAt(p) !== LBRACE) {
      this.error(p, `expected '{' to open the exemplar's labels, found ${showChar(charAt(s, p, b))}`);
      return null;
    }
    const xl = this.exemplarLabels;
    p = this.labels(s, p, b, 'exemplar', xl);
    if (p < 0) return null;
    const n = this.nLabels;
    p = this.skipWs(s, p, b);
    if (p >= b) {
      this.error(p, "expected the exemplar's value after its labels");
      return null;
    }
    let vs = p;
    while (p < b && s.charCodeAt(p) !== SP && s.charCodeAt(p) !== TAB) p++;
    const value = scanFloat(s, vs, p);
    if (!numberOk) {
      this.error(vs, `invalid exemplar value ${showToken(s.slice(vs, p))}`);
      return null;
    }
    const labels = buildLabels(xl.names, xl.values, n);
    const ex: Exemplar = { labels, value };
    p = this.skipWs(s, p, b);
    if (p < b) {
      vs = p;
      while (p < b && s.charCodeAt(p) !== SP && s.charCodeAt(p) !== TAB) p++;
      const sec = scanFloat(s, vs, p);
      if (!numberOk || !Number.isFinite(sec)) {
        this.error(vs, `invalid exemplar timestamp ${showToken(s.slice(vs, p))}`);
        return null;
      }
      ex.timestamp = Math.round(sec * 1000);
      p = this.skipWs(s, p, b);
      if (p < b) {
        this.error(p, `unexpected text after the exemplar (the exemplar started at column ${h - this.lineStart + 1})`);
        return null;
      }
    }
    return ex;
  }
}

/** The character at p, or NaN at or past the end of the line (for messages that show what was found). */
function charAt(s: string, p: number, b: number): number {
  return p < b ? s.charCodeAt(p) : NaN;
}

/** A label value with `\\`, `\"`, `\n` unescaped; any other backslash is kept as written (as Prometheus does). */
function unescapeLabel(s: string, a: number, b: number): string {
  let out = '';
  let run = a;
  let i = a;
  while (i < b) {
    if (s.charCodeAt(i) !== BSLASH) {
      i++;
      continue;
    }
    const d = s.charCodeAt(i + 1);
    const rep = d === BSLASH ? '\\' : d === QUOTE ? '"' : d === 110 ? '\n' : '';
    if (rep !== '') {
      out += s.slice(run, i) + rep;
      run = i + 2;
    }
    i += 2;
  }
  return out + s.slice(run, b);
}
