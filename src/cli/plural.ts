// A count and its noun in agreement, for what the command line prints: "1 dependency",
// "2 dependencies", "0 errors". One helper, so no message says "1 dependencies" or "error(s)".

/** `pluralize(1, 'route')` -> "1 route"; `pluralize(2, 'dependency', 'dependencies')` -> "2 dependencies". */
export function pluralize(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
