// The files a verdict's row names (concurrency.pprof on a Go service: a goroutine dump and a heap
// profile per crossing), in words the table, Markdown and JUnit renderers share. Pure.
import { formatValue } from '../verdicts/format.ts';
import type { Evidence, ObjectiveVerdict, ServiceEvidenceFile } from '../verdicts/types.ts';

/** A line and how deep it sits under the row (0: the crossing, 1: a file, 2: a stack of the dump). */
export interface EvidenceLine {
  depth: 0 | 1 | 2;
  text: string;
  /** A file's line: the path as it appears in `text` (Markdown shows it as code). */
  path?: string;
}

const KIND: Record<Evidence['kind'], string> = { goroutines: 'goroutine dump', heap: 'heap profile' };

/** "goroutines reached 262 (critical 250, 1.5 s into the measured phase)". */
function crossing(v: ObjectiveVerdict, e: Evidence): string {
  const at = e.offsetMs !== undefined ? `, ${+(e.offsetMs / 1000).toFixed(1)} s into the measured phase` : '';
  const level = e.level === 'critical' ? v.thresholds?.critical : v.thresholds?.warn;
  const of = level !== undefined ? ` ${formatValue(level, v.unit)}` : '';
  return `${v.name} reached ${formatValue(e.value, v.unit)} (${e.level}${of}${at})`;
}

/** "GET URL: HTTP 404: hint" -> ["GET URL", "HTTP 404: hint"]. */
function splitError(error: string): [string, string] {
  const m = /^(GET \S+): (.*)$/s.exec(error);
  return m ? [m[1], m[2]] : ['', error];
}

/** A file's line: "goroutine dump: PATH (120 KiB)", or "heap profile: not captured: why". */
export function evidenceFileText(e: Evidence): string {
  if (e.path === undefined) return `${KIND[e.kind]}: not captured: ${e.error ?? 'no reason recorded'}`;
  const size = e.bytes !== undefined ? formatValue(e.bytes, 'bytes') : '';
  const cut = e.truncated ? `${size ? ', ' : ''}cut at the size cap` : '';
  const tool = e.kind === 'heap' ? `${size || cut ? '; ' : ''}go tool pprof reads it` : '';
  return `${KIND[e.kind]}: ${e.path} (${size}${cut}${tool})`;
}

/** The row's evidence, crossing by crossing (in the order captured). */
export function evidenceLines(v: ObjectiveVerdict): EvidenceLine[] {
  const out: EvidenceLine[] = [];
  const all = v.evidence ?? [];
  const crossings = [...new Set(all.map((e) => crossing(v, e)))];
  for (const head of crossings) {
    const files = all.filter((e) => crossing(v, e) === head);
    const got = files.filter((e) => e.path !== undefined).length;
    out.push({ depth: 0, text: `${head}: ${got === files.length ? 'captured from the service' : got === 0 ? 'the capture failed' : `${got} of ${files.length} files captured`}` });
    let previousWhy: string | undefined;
    for (const e of files) {
      if (e.path === undefined && e.error !== undefined) {
        // The second file failing the same way (a 404 for both): said once.
        const [get, why] = splitError(e.error);
        if (why === previousWhy && get !== '') {
          out.push({ depth: 1, text: `${KIND[e.kind]}: not captured: ${get}: ${why.split(':')[0]}, as above` });
          continue;
        }
        previousWhy = why;
      }
      out.push({ depth: 1, text: evidenceFileText(e), ...(e.path !== undefined ? { path: e.path } : {}) });
      for (const s of e.top ?? []) out.push({ depth: 2, text: s });
    }
  }
  return out;
}

/** Plain text, two spaces per depth (JUnit bodies, a terminal block). */
export function evidenceText(v: ObjectiveVerdict, indent = ''): string[] {
  return evidenceLines(v).map((l) => `${indent}${'  '.repeat(l.depth)}${l.text}`);
}

/**
 * The service's saturation evidence (the Node SDK's monitor, read from its drill endpoint), one
 * line per directory: "evidence: 2 files in /srv/.sloctl/evidence: 20261204T...-eventLoopDelay-critical.cpuprofile
 * (eventLoopDelay critical, 1.2 MiB), ...". No files: no line.
 */
export function serviceEvidenceLines(files: readonly ServiceEvidenceFile[]): string[] {
  const byDir = new Map<string, ServiceEvidenceFile[]>();
  for (const f of files) {
    const key = f.dir ?? '';
    byDir.set(key, [...(byDir.get(key) ?? []), f]);
  }
  return [...byDir].map(([dir, fs]) => {
    const where = dir === '' ? "the service's evidence directory (evidence.dir of the contract it loads)" : dir;
    const list = fs.map((f) => `${f.file} (${f.signal} ${f.level}, ${formatValue(f.bytes, 'bytes')})`).join(', ');
    return `evidence: ${fs.length} file${fs.length === 1 ? '' : 's'} in ${where}: ${list}`;
  });
}

/** The files that explain this verdict row (a memory or concurrency signal of that name). */
export function serviceEvidenceFor(files: readonly ServiceEvidenceFile[] | undefined, v: Pick<ObjectiveVerdict, 'contract' | 'name'>): ServiceEvidenceFile[] {
  return (files ?? []).filter((f) => f.objective === v.contract && f.signal === v.name);
}

/** The files no verdict row explains (the contract sloctl read judges no such signal). */
export function unmatchedServiceEvidence(files: readonly ServiceEvidenceFile[] | undefined, verdicts: readonly ObjectiveVerdict[]): ServiceEvidenceFile[] {
  return (files ?? []).filter((f) => !verdicts.some((v) => v.contract === f.objective && v.name === f.signal));
}
