// Small, careful PromQL builders shared by the rule and dashboard emitters: numbers, durations,
// string literals, regular expressions and label selectors. Everything the emitters write goes
// through here, so quoting is done once and right.
import { formatDuration } from '../contract/units.ts';

/** A number as PromQL (and a reader) wants it: `0.01`, not `0.010000000000000009`. */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return String(+x.toPrecision(12));
}

/** A range/duration literal: `5m`, `1h52m`, `28d` (Prometheus accepts compound durations). */
export function dur(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`a PromQL duration must be a positive whole number of milliseconds, got ${ms}`);
  return formatDuration(ms);
}

/** A PromQL string literal. PromQL strings use Go's escapes; JSON's are a compatible subset. */
export function str(s: string): string {
  return JSON.stringify(s);
}

/** Escapes a literal for use inside an RE2 regular expression (PromQL's `=~` is RE2, fully anchored). */
export function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A label matcher. `value` for `=`/`!=` is a literal; for `=~`/`!~` a regular expression. */
export function matcher(label: string, op: '=' | '!=' | '=~' | '!~', value: string): string {
  return `${label}${op}${str(value)}`;
}

/** `=` for one literal, `=~` for an alternation of several (escaped). */
export function oneOf(label: string, values: readonly string[], negate = false): string {
  const uniq = [...new Set(values)].sort();
  if (uniq.length === 1) return matcher(label, negate ? '!=' : '=', uniq[0]);
  return matcher(label, negate ? '!~' : '=~', uniq.map(reEscape).join('|'));
}

/** `name{a="b", c=~"d"}`; empty matchers are dropped. */
export function selector(metric: string, ...matchers: Array<string | undefined>): string {
  const m = matchers.filter((x): x is string => x !== undefined && x.trim() !== '');
  return m.length === 0 ? metric : `${metric}{${m.join(', ')}}`;
}

/**
 * The `le` matcher for a histogram bucket at `seconds`. Clients write integral bounds as `1`
 * (prom-client, client_golang), Prometheus 3 normalises classic-histogram `le` values to `1.0`
 * on ingestion: the matcher accepts both, so the rule works on either side of that change.
 */
export function leMatcher(seconds: number): string {
  const s = num(seconds);
  if (Number.isInteger(seconds)) return matcher('le', '=~', `${reEscape(s)}(\\.0)?`);
  return matcher('le', '=', s);
}

/**
 * `sum(a or b or c)`: the union of disjoint vectors, summed into one series. Several parts go one
 * per line, so a reviewer reads the generated rule like a hand-written one.
 */
export function sumOfUnion(parts: readonly string[]): string {
  if (parts.length === 0) throw new Error('sumOfUnion needs at least one part');
  if (parts.length === 1) return `sum(${parts[0]})`;
  return `sum(\n    ${parts.join('\n  or\n    ')}\n)`;
}

/** A Prometheus label (and annotation) name: `[a-zA-Z_][a-zA-Z0-9_]*`. Anything else fails `promtool check rules`. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isLabelName(s: string): boolean {
  return LABEL_NAME.test(s);
}

/**
 * Text for a rule's annotation or label value that must read literally. Prometheus expands those
 * values as Go templates (and promtool parses them), so a `{{` from a description would start an
 * action: it is written as the template `{{ "{{" }}`, which prints `{{`.
 */
export function templateLiteral(s: string): string {
  return s.split('{{').join('{{ "{{" }}');
}
