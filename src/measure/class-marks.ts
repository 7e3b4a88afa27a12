// Answers the service marked with the error class it gave them (header `sloctl-error-class`, sent
// by sloctl's SDK when a thrown error, not the status, decided the class): counted per route by
// the load generator as "status class" pairs, written as RouteResult.errorClasses, added up when
// results, slices or a drill's windows merge. Pure.

/** Most distinct (status, class) marks kept per route and slice: the SDK sends a contract's few classes; anything past this is not its. */
export const MAX_CLASS_MARKS = 32;

/** Counts one marked answer (status, class) in `m` (made when null); a new pair past MAX_CLASS_MARKS is dropped. */
export function countMark(m: Map<string, number> | null, status: number, cls: string): Map<string, number> {
  const map = m ?? new Map<string, number>();
  const key = `${status} ${cls}`;
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < MAX_CLASS_MARKS) map.set(key, 1);
  return map;
}

/** `{ errorClasses: { "500": { transient: 3 } } }` of the marks, or {} when none. */
export function classMarksJson(m: Map<string, number> | null): { errorClasses?: Record<string, Record<string, number>> } {
  if (m === null || m.size === 0) return {};
  const out: Record<string, Record<string, number>> = {};
  for (const [key, n] of [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sp = key.indexOf(' ');
    (out[key.slice(0, sp)] ??= {})[key.slice(sp + 1)] = n;
  }
  return { errorClasses: out };
}

/** The `errorClasses` of parts added up (absent when none): a merged route's, or a merged slice's. */
export function classMarksOf(parts: ReadonlyArray<{ errorClasses?: Record<string, Record<string, number>> }>): { errorClasses?: Record<string, Record<string, number>> } {
  let m: Map<string, number> | null = null;
  for (const p of parts) {
    for (const [status, byClass] of Object.entries(p.errorClasses ?? {})) {
      for (const [cls, n] of Object.entries(byClass)) {
        const map: Map<string, number> = (m ??= new Map());
        const key = `${status} ${cls}`;
        if (map.has(key) || map.size < MAX_CLASS_MARKS) map.set(key, (map.get(key) ?? 0) + n);
      }
    }
  }
  return classMarksJson(m);
}

