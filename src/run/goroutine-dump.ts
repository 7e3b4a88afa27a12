// A Go goroutine dump (`/debug/pprof/goroutine?debug=2`, the format of a panic's traceback) read
// into "where are the goroutines": goroutines grouped by the first frame of their stack that is
// the service's own code (not the runtime, not the standard library), with their state, biggest
// group first. So a report can say "412 goroutines blocked at main.main.func1.1 (main.go:27)
// [chan receive]" without anyone opening the file.
//
// The format, one block per goroutine, blocks separated by a blank line:
//   goroutine 18 [chan receive, 3 minutes]:
//   main.main.func1.1()
//   	/src/svc/main.go:27 +0x2c
//   created by main.main.func1
//   	/src/svc/main.go:26 +0x6a            (Go 1.21+: "created by main.main.func1 in goroutine 7")
// Frames may be elided ("...additional frames elided..."); a truncated dump ends mid-block. Both
// are read as far as they go.
//
// Pure: text in, groups out.

export interface GoroutineGroup {
  /** Goroutines in the group. */
  count: number;
  /** The frame they are grouped by: the function ("main.main.func1.1"), its file's base name and line. */
  func: string;
  file: string;
  line: number;
  /** The state from the header, without the wait time: "chan receive", "select", "IO wait", "running". */
  state: string;
}

interface Frame {
  func: string;
  file: string;
  line: number;
}

/**
 * Standard library and runtime packages: an import path whose first element has no dot (runtime,
 * net/http, internal/poll, sync), except `main`. Third-party code (github.com/...) and main are
 * the service's side.
 */
export function isStandardLibrary(func: string): boolean {
  // "net/http.(*conn).serve" -> "net/http"; "main.main.func1" -> "main"; "github.com/x/y.F" -> "github.com/x/y".
  const slash = func.lastIndexOf('/');
  const dot = func.indexOf('.', slash + 1);
  const pkg = dot < 0 ? func : func.slice(0, dot);
  if (pkg === 'main') return false;
  const first = pkg.split('/')[0];
  return !first.includes('.');
}

function frameOf(funcLine: string, fileLine: string | undefined): Frame | undefined {
  // "main.main.func1.1()", "net/http.(*conn).serve(0xc000126000, {0x6f2d10, 0xc0000a8000})"
  const fn = funcLine.trim();
  if (fn === '' || fn.startsWith('...')) return undefined;
  // The arguments' parenthesis is the last one not preceded by a dot (a receiver's is: ".(*conn)");
  // a dump cut mid-line may have lost its closing one.
  const open = fn.lastIndexOf('(');
  const func = open > 0 && fn[open - 1] !== '.' ? fn.slice(0, open) : fn;
  // "\t/src/svc/main.go:27 +0x2c"
  const m = fileLine === undefined ? null : /^\s+(.*):(\d+)(?:\s+\+0x[0-9a-f]+)?\s*$/.exec(fileLine);
  if (!m) return { func, file: '?', line: 0 };
  const path = m[1];
  return { func, file: path.slice(path.lastIndexOf('/') + 1), line: Number(m[2]) };
}

/** The frame a goroutine is grouped by: its first own frame; else the first outside the runtime; else the first. */
function siteOf(frames: readonly Frame[], createdBy: Frame | undefined): Frame | undefined {
  const own = frames.find((f) => !isStandardLibrary(f.func));
  if (own) return own;
  // Blocked in the standard library (time.Sleep, net/http serving a connection): who started it,
  // when that is the service's code, is the more telling site.
  if (createdBy && !isStandardLibrary(createdBy.func)) return createdBy;
  return frames.find((f) => !/^(runtime|internal)[./]/.test(f.func)) ?? frames[0];
}

/** Groups, biggest first (ties: the service's own code first, then by function and line, for a stable order). */
export function parseGoroutineDump(text: string): { total: number; groups: GoroutineGroup[] } {
  const groups = new Map<string, GoroutineGroup>();
  let total = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^goroutine \d+(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:\s*$/.exec(lines[i]);
    if (!head) continue;
    total++;
    // "chan receive, 3 minutes", "select, locked to thread", "sleep": the state is the first part.
    const state = head[1].split(',')[0].trim();
    const frames: Frame[] = [];
    let createdBy: Frame | undefined;
    let j = i + 1;
    for (; j < lines.length && lines[j].trim() !== '' && !lines[j].startsWith('goroutine '); j++) {
      const l = lines[j];
      if (/^\s/.test(l)) continue; // a file line, read with its function line
      const created = /^created by (\S+?)(?: in goroutine \d+)?\s*$/.exec(l);
      const next = lines[j + 1];
      const fileLine = next !== undefined && /^\s/.test(next) ? next : undefined;
      if (created) createdBy = frameOf(created[1], fileLine);
      else {
        const f = frameOf(l, fileLine);
        if (f) frames.push(f);
      }
    }
    i = j - 1;
    const site = siteOf(frames, createdBy) ?? { func: '?', file: '?', line: 0 };
    const key = `${site.func}\u0000${site.file}:${site.line}\u0000${state}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, func: site.func, file: site.file, line: site.line, state });
  }
  const own = (g: GoroutineGroup) => (isStandardLibrary(g.func) ? 1 : 0);
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || own(a) - own(b) || (a.func < b.func ? -1 : a.func > b.func ? 1 : a.line - b.line));
  return { total, groups: sorted };
}

/** "412 goroutines blocked at main.main.func1.1 (main.go:27) [chan receive]". */
export function describeGroup(g: GoroutineGroup): string {
  const n = `${g.count.toLocaleString('en-US')} goroutine${g.count === 1 ? '' : 's'}`;
  const how = g.state === 'running' || g.state === 'runnable' ? g.state : g.state === 'syscall' ? 'in a syscall' : 'blocked';
  const where = g.line > 0 ? ` (${g.file}:${g.line})` : '';
  return `${n} ${how} at ${g.func}${where} [${g.state}]`;
}

/** The `top` biggest groups, one line each. */
export function summarizeGoroutineDump(text: string, top = 3): string[] {
  return parseGoroutineDump(text).groups.slice(0, top).map(describeGroup);
}
