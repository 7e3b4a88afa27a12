// Rollback: whatever a drill put in place is taken away again, however sloctl ends (issue 11,
// step 4: "Ctrl-C, SIGTERM, an exception, or kill -9 of sloctl mid-drill leaves no fault in place
// and no process behind").
//
//   const rollback = new Rollback({ log: (l) => stderr(`sloctl drill: ${l}\n`) });
//   const untrap = rollback.trap((signal, lines) => interrupt.abort());  // or exit
//   const forget = rollback.add('latency toxic on proxy payments', () => proxy.removeToxic(name));
//   ...                                     // the drill removes the toxic itself:
//   forget();
//   ...
//   finally { await rollback.run('the drill ended'); untrap(); }
//
// Every step is registered the moment the thing it undoes exists (a proxy listening, a toxic
// added, a fault applied, a target started), so that at any instant the list is exactly what would
// be left behind. Steps are undone newest first (a toxic before its proxy, the faults before the
// target), one at a time, each bounded (a hung service must not keep sloctl from undoing the rest).
//
// What no code in sloctl can undo is a kill -9: that case is covered by what the things themselves
// do when sloctl vanishes, not by this module. The proxies live in sloctl's process and die with it;
// the target's watchdog (supervisor.ts) stops the target when sloctl's pipe closes; in-process
// faults remove themselves after their duration, capped by the service's maxDurationMs.
//
// run() is the end of the rollback's life: a step added afterwards is undone at once (a fault whose
// apply() was in flight when Ctrl-C came, answered after the steps were undone, must not stay).
import { EXIT, exitCodeFor, sloctlCode } from '../errors.ts';

export interface RollbackOptions {
  /** Where the step lines go as they happen ("undid: ...", "FAILED to undo ..."). Default: stderr, prefixed "sloctl: ". */
  log?: (line: string) => void;
  /** How long one undo step may take (ms). Default 5000. */
  timeoutMs?: number;
}

interface Step {
  what: string;
  undo: () => void | Promise<void>;
}

/** The signals trap() handles, and their numbers (exit status 128+n on a second one, as a shell reports a signal death). */
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type TrappedSignal = keyof typeof SIGNAL_NUMBERS;
const TRAPPED = Object.keys(SIGNAL_NUMBERS) as TrappedSignal[];

class UndoTimeout extends Error {
  override name = 'UndoTimeout';
}

/** Written whatever happens: a closed stderr (SIGHUP of a terminal) must not stop the undoing. */
function writeStderr(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    /* nowhere to say it */
  }
}

function why(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The line sloctl prints for an error nobody caught, as the command line's exitFor (src/cli/main.ts)
 * words it; repeated here because nothing beneath src/cli/ may import it.
 */
function errorLine(e: unknown): string {
  if (sloctlCode(e) !== undefined) return `sloctl: ${(e as Error).message}\n`;
  const err = e instanceof Error ? e : new Error(String(e));
  const where = process.env.SLOCTL_DEBUG ? `\n${err.stack ?? ''}` : ' (run again with SLOCTL_DEBUG=1 for the stack)';
  return `sloctl: internal error, a bug in sloctl and not a verdict: ${err.name}: ${err.message}${where}\n`;
}

export class Rollback {
  /** Oldest first; undone from the end. */
  private readonly steps: Step[] = [];
  private readonly log: (line: string) => void;
  private readonly timeoutMs: number;
  /** The run under way, which every run() call joins. */
  private running: Promise<string[]> | undefined;
  /** The step being undone now (still possibly in place). */
  private current: Step | undefined;
  /** run() has been called: a later add() is undone at once. */
  private ran = false;

  constructor(opts: RollbackOptions = {}) {
    this.log = opts.log ?? ((line) => writeStderr(`sloctl: ${line}\n`));
    const t = opts.timeoutMs ?? 5000;
    if (!Number.isFinite(t) || t <= 0) throw new RangeError(`Rollback: timeoutMs must be a positive number of milliseconds, got ${t}`);
    this.timeoutMs = t;
  }

  /**
   * run() has been called (a signal's, an error's, or the caller's): what happens to the things
   * being undone from now on (a target stopping, a proxy closing) is the undoing, not news.
   */
  get started(): boolean {
    return this.ran;
  }

  /** What is registered and not undone yet, newest first (the step being undone included). */
  get pending(): string[] {
    const left = this.steps.map((s) => s.what).reverse();
    return this.current !== undefined ? [this.current.what, ...left] : left;
  }

  /** Registers an undo step; returns a function that forgets it (after you undid it yourself). */
  add(what: string, undo: () => void | Promise<void>): () => void {
    const step: Step = { what, undo };
    this.steps.push(step);
    // The rollback already ran (Ctrl-C while this thing was being put in place): undo it now. A run
    // under way picks it up; otherwise a new one starts.
    if (this.ran) void this.run(`${what} was put in place after the rollback had run`);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /**
   * Runs every registered step, newest first, each bounded by timeoutMs (default 5 s), never
   * throws, idempotent (a step is undone once; a call while a run is under way joins it and gets
   * its lines; a later call undoes only what was added since). One line per step: "undid: <what>"
   * or "FAILED to undo <what>: <why>", logged as it happens and returned.
   */
  run(reason: string): Promise<string[]> {
    this.ran = true;
    this.running ??= this.drain(reason);
    return this.running;
  }

  private async drain(reason: string): Promise<string[]> {
    // Nothing synchronous: run() has assigned `running` before the first undo can call add() (which
    // must then join this run, not start a second one alongside).
    await undefined;
    const lines: string[] = [];
    if (this.steps.length > 0) this.say(`undoing ${this.steps.length === 1 ? 'one step' : `${this.steps.length} steps`} (${reason}), newest first`);
    // pop() until empty: a step added while the others are undone is undone too, in this run.
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      this.current = step;
      const line = await this.undoOne(step);
      this.current = undefined;
      lines.push(line);
      this.say(line);
    }
    // In the same tick as the last empty pop(): an add() from now on starts a new run.
    this.running = undefined;
    return lines;
  }

  private async undoOne(step: Step): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        // async: an undo that throws synchronously is a failure like one that rejects.
        (async () => step.undo())(),
        new Promise<never>((_resolve, reject) => {
          // Not unref'd: the process must stay up until every step has had its chance.
          timer = setTimeout(() => reject(new UndoTimeout(`it did not finish within ${seconds(this.timeoutMs)}; it may still be in place`)), this.timeoutMs);
        }),
      ]);
      return `undid: ${step.what}`;
    } catch (e) {
      return `FAILED to undo ${step.what}: ${why(e)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  private say(line: string): void {
    try {
      this.log(line);
    } catch {
      /* a failing log must not stop the undoing */
    }
  }

  /**
   * Until the returned function is called: SIGINT, SIGTERM, SIGHUP run the steps and then call
   * onSignal(signal, lines) (the caller exits, or stops its run and reports it interrupted); a
   * second one of them, while undoing or after, exits at once with 128+n, after saying what may be
   * left.
   *
   * An uncaught exception, an unhandled rejection, or an error on stdout or stderr (EPIPE: the
   * reader of `sloctl drill 2>&1 | tee log` was stopped with Ctrl-C) runs the steps first. For that
   * the trap takes those events over while it is set: whoever listened before (bin/sloctl.js, which
   * prints one line and exits 70, or exits quietly on EPIPE; a test runner) would otherwise end the
   * process before a single fault is removed. Once the steps are undone, the listeners are put back
   * and the event is handed to them, so the error is reported exactly as without a drill; the exit
   * code of a drill cut short by a dead stream is 4 (interrupted), not the 0 it had so far. With no
   * earlier listener, the trap prints the error in one line and exits with its code: 70 (a bug in
   * sloctl), or the code of an error sloctl raised on purpose that escaped (a target failure: 3).
   */
  trap(onSignal: (signal: NodeJS.Signals, lines: string[]) => void): () => void {
    // armed: nothing happened yet; undoing: a signal or an error is being handled; done: the steps
    // were undone for a signal and the caller is finishing.
    let state: 'armed' | 'undoing' | 'done' = 'armed';
    let exiting = false;

    const exitNow = (signal: TrappedSignal): void => {
      exiting = true;
      const left = this.pending;
      const code = 128 + SIGNAL_NUMBERS[signal];
      writeStderr(left.length === 0
        ? `sloctl: ${signal} again: exiting now (${code}); everything registered was undone\n`
        : `sloctl: ${signal} again: exiting now (${code}); not undone (or not finished): ${left.join('; ')}. These may be left in place: in-process faults expire by themselves after their duration, the target is stopped by its watchdog; check the rest by hand\n`);
      process.exit(code);
    };

    const onSig = (signal: TrappedSignal): void => {
      if (state !== 'armed') return exitNow(signal);
      state = 'undoing';
      if (this.pending.length > 0) this.say(`${signal}: undoing what was put in place first (${signal} again to exit at once)`);
      void this.run(signal).then((lines) => {
        state = 'done';
        try {
          onSignal(signal, lines);
        } catch (e) {
          onError(process, 'uncaughtException', [e, 'uncaughtException'], e);
        }
      });
    };

    // The events taken over, with the listeners they had (raw: a once() listener stays once).
    type Listener = (...args: unknown[]) => void;
    const taken: Array<{ emitter: NodeJS.EventEmitter; event: string; saved: Listener[]; mine: Listener }> = [];
    const takeOver = (emitter: NodeJS.EventEmitter, event: string, mine: Listener): void => {
      const saved = emitter.rawListeners(event) as Listener[];
      emitter.removeAllListeners(event);
      emitter.on(event, mine);
      taken.push({ emitter, event, saved, mine });
    };

    const onError = (emitter: NodeJS.EventEmitter, event: string, args: unknown[], error: unknown): void => {
      const stream = emitter !== process;
      if (state === 'undoing' || exiting) {
        // The undo under way goes on (a signal's: its caller exits; an error's: it exits). A dead
        // stream erroring again has nothing to add.
        if (!stream) writeStderr(errorLine(error));
        return;
      }
      exiting = true;
      state = 'undoing';
      const saved = taken.find((t) => t.emitter === emitter && t.event === event)?.saved ?? [];
      const what = stream ? `${emitter === process.stdout ? 'stdout' : 'stderr'} failed (${(error as NodeJS.ErrnoException)?.code ?? why(error)})` : 'sloctl hit an error';
      if (this.pending.length > 0) this.say(`${what}: undoing what was put in place first`);
      void this.run(what).then(() => {
        untrap();
        // A drill cut short is inconclusive, whatever the code was so far (bin/sloctl.js exits on
        // EPIPE with the code the command had).
        if (stream && !process.exitCode) process.exitCode = EXIT.INCONCLUSIVE;
        if (saved.length > 0) {
          try {
            for (const l of saved) l.apply(emitter, args);
            return;
          } catch {
            // A listener that rethrows, as a pipe's onerror does when nobody else listens (tsx pipes
            // into stderr): the error is unhandled after all, handled below.
          }
        }
        if (!stream || process.stderr.writable) writeStderr(errorLine(error));
        process.exit(stream ? Number(process.exitCode) : exitCodeFor(error));
      });
    };

    const handlers = TRAPPED.map((s) => [s, () => onSig(s)] as const);
    // Exiting (process.exit, or the loop ran dry) with steps not undone: they cannot run any more
    // (undoing takes I/O); at least say what is left.
    const onExit = (): void => {
      if (!exiting && this.steps.length > 0) writeStderr(`sloctl: exiting without undoing: ${this.pending.join('; ')}. In-process faults expire by themselves after their duration; check the rest by hand\n`);
    };
    for (const [s, h] of handlers) process.on(s, h);
    takeOver(process, 'uncaughtException', (...args) => onError(process, 'uncaughtException', args, args[0]));
    takeOver(process, 'unhandledRejection', (...args) => onError(process, 'unhandledRejection', args, args[0]));
    for (const stream of [process.stdout, process.stderr]) takeOver(stream, 'error', (...args) => onError(stream, 'error', args, args[0]));
    process.on('exit', onExit);

    let untrapped = false;
    const untrap = (): void => {
      if (untrapped) return;
      untrapped = true;
      for (const [s, h] of handlers) process.removeListener(s, h);
      process.removeListener('exit', onExit);
      for (const t of taken.splice(0)) {
        t.emitter.removeListener(t.event, t.mine);
        for (const l of t.saved) t.emitter.on(t.event, l);
      }
    };
    return untrap;
  }
}
