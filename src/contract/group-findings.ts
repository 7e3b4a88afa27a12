// The same finding on many places, printed once with the list: a contract whose 17 routes each
// miss the same thing should read as one finding and 17 places, not 17 screens of the same text.
//
// Findings are "the same" when they share the file, code and severity, and their message and hint
// are equal once the names they quote ("…" and `…`) and the numbers in them are set aside. Only the
// text output groups; `--format json` keeps every finding.
import type { Diagnostic } from './diagnostic.ts';

/** Fewer repeats than this print one by one: two findings are easier to read whole. */
export const GROUP_FROM = 3;

export interface FindingGroup {
  /** The first finding of the group, in file order: the one printed in full. */
  first: Diagnostic;
  /** The others, in file order (empty when the finding is alone). */
  others: Diagnostic[];
}

const QUOTED = /"[^"]*"|`[^`]*`|\b\d+(?:\.\d+)?\b/g;

function shape(d: Diagnostic): string {
  return [d.file, d.code, d.severity, d.message.replace(QUOTED, '∗'), (d.hint ?? '').replace(QUOTED, '∗')].join('\u0000');
}

/** Groups findings (already in file order) by shape; groups keep the order of their first finding. */
export function groupFindings(findings: readonly Diagnostic[]): FindingGroup[] {
  const byShape = new Map<string, FindingGroup>();
  const groups: FindingGroup[] = [];
  for (const d of findings) {
    const key = shape(d);
    const g = byShape.get(key);
    if (g) g.others.push(d);
    else {
      const fresh = { first: d, others: [] };
      byShape.set(key, fresh);
      groups.push(fresh);
    }
  }
  // Small groups go back to one finding each, in place.
  return groups.flatMap((g) => (g.others.length + 1 >= GROUP_FROM ? [g] : [g.first, ...g.others].map((d) => ({ first: d, others: [] }))));
}

/** The line that lists a group's other places: "the same for 16 more: "b" (14:11), "c" (20:11), …". */
export function othersLine(others: readonly Diagnostic[], max = 50): string {
  const names = (d: Diagnostic) => (d.message.match(/"[^"]*"|`[^`]*`/g) ?? []).join(' ');
  const listed = others.slice(0, max).map((d) => `${names(d) ? `${names(d)} ` : ''}(${d.line}:${d.col})`);
  const rest = others.length > max ? `, and ${others.length - max} more` : '';
  return `the same for ${others.length} more: ${listed.join(', ')}${rest}`;
}
