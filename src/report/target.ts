// How a report's header names its target, one way for the gate, the drills and accept: whether
// sloctl started the service or attached to it, and whether it ever said UP. A drill whose start
// command failed used to read "(not reached) (attached)": the header took "not started by sloctl"
// from a flag that only meant "started, and healthy". Pure: strings out.

/** What a report knows of its target (the gate's, the drills' and accept's `target` have these). */
export interface TargetFacts {
  /** Where the service answered, or the URL sloctl was told to attach to; '' when none is known. */
  url: string;
  /** sloctl spawned the target's command (whether or not it then said UP). */
  started: boolean;
  /** The command sloctl ran, or meant to run when it could not start it. */
  command?: string;
  /**
   * The target's health endpoint said UP. A report without it (the gate's records no such field)
   * counts a known URL as reached: it sets the URL only once the target said UP.
   */
  reached?: boolean;
}

/**
 * "started `npm start` at http://127.0.0.1:8080", "attached to http://127.0.0.1:8080",
 * "started `npm start`, but it never said UP (not reached)", "attached to http://127.0.0.1:8080,
 * which never said UP (not reached)", "could not start `npm start` (not reached)".
 */
export function targetText(t: TargetFacts): string {
  const reached = t.reached ?? t.url !== '';
  const command = t.command !== undefined ? `\`${t.command}\`` : undefined;
  if (t.started) {
    const what = command ?? 'the target';
    if (reached) return `started ${what} at ${t.url || '(no URL recorded)'}`;
    return `started ${what}, but it never said UP (not reached)`;
  }
  // A command sloctl did not get to spawn (its directory missing, its port taken): never started.
  if (command !== undefined) return `could not start ${command} (not reached)`;
  if (t.url === '') return 'no target (not reached)';
  return reached ? `attached to ${t.url}` : `attached to ${t.url}, which never said UP (not reached)`;
}
