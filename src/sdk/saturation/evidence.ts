// The evidence directory: profiles the saturation monitor captured, bounded in count and bytes.
//
// A file is named `<time>-<signal>-<level>.<kind>` (time of the crossing, UTC, sortable:
// 20261204T042000123Z-heap-warn.heapprofile), so the listing needs no index file and survives
// restarts. Only files with that shape are ever listed or deleted: the directory may hold anything
// else (a shared .sloctl/), and pruning must not touch it. Writes are atomic (a hidden temporary
// file, then rename), so a reader never sees half a profile and a crash leaves no listed file.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { removeDeadWriterFiles } from '../../files/write-atomically.ts';
import type { SaturationLevel } from './states.ts';

export type EvidenceKind = 'heapprofile' | 'cpuprofile' | 'heapsnapshot';

/** One evidence file, as the drill endpoint lists it (GET <drill path>/evidence). */
export interface EvidenceFile {
  /** The file name, inside the evidence directory. */
  file: string;
  signal: string;
  level: SaturationLevel;
  bytes: number;
  /** When the threshold was crossed (ISO 8601). */
  at: string;
}

export interface EvidenceLimits {
  maxFiles: number;
  maxBytes: number;
}

const NAME = /^(\d{8}T\d{9}Z)-([A-Za-z]+)-(warn|critical)\.(heapprofile|cpuprofile|heapsnapshot)$/;
/** A capture's temporary file: `.<NAME>.<pid>.tmp` (see open). */
const ORPHAN = /^\.(.+)\.(\d+)\.tmp$/;

/** `2026-12-04T04:20:00.123Z` -> `20261204T042000123Z` (no colons: valid on every filesystem). */
export function stamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:.]/g, '');
}

function unstamp(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
}

function parseName(file: string, bytes: number): EvidenceFile | undefined {
  const m = NAME.exec(file);
  return m === null ? undefined : { file, signal: m[2]!, level: m[3] as SaturationLevel, bytes, at: unstamp(m[1]!) };
}

export function evidenceName(atMs: number, signal: string, level: SaturationLevel, kind: EvidenceKind): string {
  return `${stamp(atMs)}-${signal}-${level}.${kind}`;
}

export class EvidenceTooLargeError extends Error {
  override name = 'EvidenceTooLargeError';
}

/** A file being written: chunks go to a hidden temporary file; `commit` renames it into place. */
export interface EvidenceWriter {
  write(chunk: string): void;
  readonly bytes: number;
  commit(): EvidenceFile;
  abort(): void;
}

export class EvidenceStore {
  /**
   * The names of the files this store wrote and its last prune found still there: the directory
   * may be shared (replicas started from one working directory), and what a process reports as its
   * evidence must be its own. At most maxFiles after each write.
   */
  private readonly written = new Set<string>();

  constructor(readonly dir: string, readonly limits: EvidenceLimits) {}

  /** The files this store wrote that are still in the directory, oldest first; not other processes'. */
  listWritten(): EvidenceFile[] {
    if (this.written.size === 0) return [];
    return this.list().filter((f) => this.written.has(f.file));
  }

  /** Our files, oldest first. A missing directory has none. */
  list(): EvidenceFile[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: EvidenceFile[] = [];
    for (const file of names.sort()) {
      if (!NAME.test(file)) continue;
      let bytes: number;
      try {
        bytes = statSync(join(this.dir, file)).size;
      } catch {
        continue; // deleted between readdir and stat
      }
      out.push(parseName(file, bytes)!);
    }
    return out;
  }

  /**
   * Opens `name` for writing. A file that grows past maxBytes is abandoned (write throws
   * EvidenceTooLargeError): it could never be kept within the bound.
   */
  open(name: string): EvidenceWriter {
    if (!NAME.test(name)) throw new TypeError(`sloctl: ${JSON.stringify(name)} is not an evidence file name`);
    mkdirSync(this.dir, { recursive: true });
    this.removeOrphans();
    const final = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    let open = true;
    const close = () => {
      if (open) closeSync(fd);
      open = false;
    };
    const store = this;
    return {
      get bytes() {
        return bytes;
      },
      write(chunk) {
        const b = Buffer.from(chunk, 'utf8');
        bytes += b.length;
        if (bytes > store.limits.maxBytes) {
          throw new EvidenceTooLargeError(`the evidence file ${name} is over evidence.maxBytes (${store.limits.maxBytes} bytes): raise evidence.maxBytes in the contract, or capture a heap sampling profile instead of a snapshot`);
        }
        writeSync(fd, b);
      },
      commit() {
        fsyncSync(fd);
        close();
        renameSync(tmp, final);
        store.written.add(name);
        store.prune();
        return parseName(name, bytes)!;
      },
      abort() {
        close();
        rmSync(tmp, { force: true });
      },
    };
  }

  /** Writes a whole file atomically, then prunes. */
  write(name: string, content: string): EvidenceFile {
    const w = this.open(name);
    try {
      w.write(content);
    } catch (err) {
      w.abort();
      throw err;
    }
    return w.commit();
  }

  /**
   * Deletes the temporary files (`.<name>.<pid>.tmp`) that a process killed mid-capture left: a
   * heap snapshot's can be up to maxBytes, and prune never counts it. One whose process still runs
   * (another instance capturing now) is left. Returns what it deleted; never throws.
   */
  removeOrphans(): string[] {
    return removeDeadWriterFiles(this.dir, (file) => {
      const m = ORPHAN.exec(file);
      return m === null || !NAME.test(m[1]) ? undefined : Number(m[2]);
    });
  }

  /** Deletes the oldest of our files until both bounds hold. Returns what it deleted. */
  prune(): string[] {
    const files = this.list();
    let total = files.reduce((a, f) => a + f.bytes, 0);
    const deleted: string[] = [];
    while (files.length > 0 && (files.length > this.limits.maxFiles || total > this.limits.maxBytes)) {
      const f = files.shift()!;
      rmSync(join(this.dir, f.file), { force: true });
      total -= f.bytes;
      deleted.push(f.file);
    }
    // Forget what is gone (this prune's deletions, or another process's): `files` is what is left.
    if (this.written.size > 0) {
      const left = new Set(files.map((f) => f.file));
      for (const name of this.written) if (!left.has(name)) this.written.delete(name);
    }
    return deleted;
  }
}
