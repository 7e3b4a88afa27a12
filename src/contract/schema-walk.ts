// Reads the zod schema itself to answer "which keys could have been meant here?", so hints come
// from the one schema rather than a second list that could drift from it.
import type { z } from 'zod';
import type { PathSegment } from './diagnostic.ts';

type AnySchema = z.core.$ZodType;

function def(schema: AnySchema): Record<string, any> {
  return (schema as any)._zod.def;
}

/** Strips wrappers that do not change the shape: optional, default, pipe/transform, refinements. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else return s;
  }
  return s;
}

/** The object schemas that may sit at `path` (several when a union allows more than one shape). */
function objectsAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema[] {
  const s = unwrap(schema);
  const d = def(s);
  if (d.type === 'union') return (d.options as AnySchema[]).flatMap((o) => objectsAt(o, path));
  if (path.length === 0) return d.type === 'object' ? [s] : [];
  const [head, ...rest] = path;
  if (d.type === 'object') {
    const child = d.shape[head as string];
    return child ? objectsAt(child, rest) : [];
  }
  if (d.type === 'array' && typeof head === 'number') return objectsAt(d.element, rest);
  if (d.type === 'record') return objectsAt(d.valueType, rest);
  return [];
}

/** Keys the schema accepts for the mapping at `path`. */
export function knownKeysAt(schema: AnySchema, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const o of objectsAt(schema, path)) for (const k of Object.keys(def(o).shape)) keys.add(k);
  return [...keys];
}
