// What the TypeScript detectors share while reading one file: its facts, its constants, and
// the lists they append findings to.

import type * as t from '@babel/types';
import { excerpt } from './metric-name.ts';
import type { ConstStrings } from './ts-strings.ts';
import { positionOf } from './ts-ast.ts';
import type { FileFacts } from './ts-facts.ts';
import type { RegisteredMetric, ScanWarning } from './types.ts';

export interface TsFileContext {
  file: string;
  source: string;
  facts: FileFacts;
  consts: ConstStrings;
  metrics: RegisteredMetric[];
  warnings: ScanWarning[];
  /** A bare specifier that names a workspace package the scan follows, as a relative import is (ts-workspace.ts). */
  local?: (source: string) => boolean;
}

export function warnAt(ctx: TsFileContext, node: t.Node, message: string): void {
  ctx.warnings.push({ file: ctx.file, ...positionOf(node), message });
}

/** A node's source text, shortened for a message. */
export function sourceOf(ctx: TsFileContext, node: t.Node): string {
  const { start, end } = node;
  return typeof start === 'number' && typeof end === 'number' ? excerpt(ctx.source.slice(start, end)) : node.type;
}
