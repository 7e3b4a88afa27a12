// The JSON Schema editors use for completion and inline errors, generated from the same zod
// schema the validator runs, so the two cannot disagree.
import { z } from 'zod';
import { contractSchema } from './schema.ts';

export const SCHEMA_ID = 'https://sloctl.dev/schema/sloctl-v1.json';

export function contractJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(contractSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: SCHEMA_ID, title: 'sloctl service contract (slo.yaml)' };
}
