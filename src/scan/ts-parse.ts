// Parsing one TypeScript/JavaScript file with Babel, with error recovery on: a file with a
// syntax error still yields the registrations Babel could read, and one it cannot read at all
// yields a located reason instead of an exception.

import { parse, type ParserPlugin } from '@babel/parser';
import type * as t from '@babel/types';

export interface ParseProblem {
  line: number;
  col: number;
  message: string;
}

export type ParseOutcome =
  | { ok: true; ast: t.File; recovered: ParseProblem[] }
  | { ok: false; problem: ParseProblem };

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

export function parseSource(source: string, extension: string): ParseOutcome {
  try {
    const ast = parse(source, {
      sourceType: 'unambiguous',
      errorRecovery: true,
      // Service entry points are often CommonJS scripts or top-level-await modules.
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowUndeclaredExports: true,
      plugins: pluginsFor(extension),
    });
    const recovered = (ast.errors ?? []).map((error) => problemOf(error));
    return { ok: true, ast, recovered };
  } catch (error) {
    return { ok: false, problem: problemOf(error) };
  }
}

function pluginsFor(extension: string): ParserPlugin[] {
  // JSX stays off for .ts: there `<T>value` is a type assertion, not an element.
  if (TYPESCRIPT.has(extension)) return ['typescript', 'decorators-legacy'];
  if (extension === '.tsx') return ['typescript', 'jsx', 'decorators-legacy'];
  return ['jsx', 'decorators-legacy'];
}

/** Babel errors carry `loc` (1-based line, 0-based column) and repeat it in the message. */
function problemOf(error: unknown): ParseProblem {
  const loc = (error as { loc?: { line?: unknown; column?: unknown } } | null)?.loc;
  const line = typeof loc?.line === 'number' ? loc.line : 1;
  const col = typeof loc?.column === 'number' ? loc.column + 1 : 1;
  const raw = error instanceof Error ? error.message : String(error);
  return { line, col, message: raw.replace(/\.? \(\d+:\d+\)$/, '') };
}
