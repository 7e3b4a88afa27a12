// zod types for the units of slo.yaml. Each keeps its regex in the JSON Schema (so editors flag
// a bad value as you type) and converts to the canonical number the rest of sloctl uses.
import { z } from 'zod';
import {
  BYTES_HELP, BYTES_PATTERN, DURATION_HELP, DURATION_PATTERN, PERCENT_HELP, PERCENT_PATTERN,
  RATE_HELP, RATE_PATTERN, parseBytes, parseDuration, parsePercent, parseRate, type Parsed,
} from './units.ts';

function describeInput(input: unknown): string {
  if (input === null || input === undefined) return 'nothing';
  if (typeof input === 'number') return `the number ${input}`;
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}

function unit(kind: string, pattern: string, help: string, parse: (s: string) => Parsed, example: string) {
  const re = new RegExp(pattern);
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `expected a ${kind} with its unit, got the bare number ${iss.input}: write ${help}`
          : `expected a ${kind} (${help}), got ${describeInput(iss.input)}`,
    })
    .regex(re, { error: (iss) => `invalid ${kind} ${JSON.stringify(iss.input)}: write ${help}` })
    .transform((s, ctx) => {
      const p = parse(s);
      if (!p.ok) {
        ctx.issues.push({ code: 'custom', message: p.message, input: s });
        return z.NEVER;
      }
      return p.value;
    })
    .meta({ examples: [example] });
}

/** A duration such as `150ms` or `28d`; the value is milliseconds. */
export const duration = () => unit('duration', DURATION_PATTERN, DURATION_HELP, parseDuration, '150ms');
/** A percentage such as `99.5%`; the value is a ratio (0.995). */
export const percent = () => unit('percentage', PERCENT_PATTERN, PERCENT_HELP, parsePercent, '99.5%');
/** A size such as `512MiB`; the value is bytes. */
export const bytes = () => unit('size', BYTES_PATTERN, BYTES_HELP, parseBytes, '512MiB');
/** A rate such as `200/s`; the value is events per second. */
export const rate = () => unit('rate', RATE_PATTERN, RATE_HELP, parseRate, '200/s');

/** A relative tolerance such as `+5%` (the `+` is optional); the value is a ratio (0.05). */
export const tolerance = () =>
  z
    .string({ error: (iss) => `expected a tolerance such as +5%, got ${describeInput(iss.input)}` })
    .regex(/^\+?[0-9]+(\.[0-9]+)?%$/, {
      error: (iss) => `invalid tolerance ${JSON.stringify(iss.input)}: write a percentage, e.g. +5% or +0.1%`,
    })
    .transform((s) => Number(`${s.replace(/^\+/, '').slice(0, -1)}e-2`)) // shifted, not divided: parsePercent says why
    .meta({ examples: ['+5%'] });

/** What a name in the contract may be (a service, route, dependency...): see `name`. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A name people type in other places of the contract: lower-case words joined by dashes or underscores. */
export const name = (what: string) =>
  z
    .string({ error: (iss) => `expected a ${what} name, got ${describeInput(iss.input)}` })
    .regex(NAME_PATTERN, {
      error: (iss) =>
        `invalid ${what} name ${JSON.stringify(iss.input)}: use lower-case letters, digits, - and _ (at most 63, as Kubernetes and OpenSLO names)`,
    });

/**
 * Free text people write (a description, an owner, a link). Bounded, because it is copied into
 * generated rules, dashboards and reports, where a page of text helps nobody; the bounds are far
 * above what anyone writes by hand. (The file as a whole is bounded too: MAX_CONTRACT_BYTES.)
 */
export const text = (what: string, max: number, hint: string) =>
  z.string().max(max, {
    error: (iss) => `${what} is ${typeof iss.input === 'string' ? iss.input.length : 'over'} characters long; at most ${max} are allowed: ${hint}`,
  });

/** A description: a paragraph or two. */
export const DESCRIPTION_MAX = 4096;
/** A short label: a display name, an owner. */
export const LABEL_MAX = 256;
/** A URL or a short sentence. */
export const LINK_MAX = 2048;

export const description = (what = 'the description') => text(what, DESCRIPTION_MAX, 'keep it to a paragraph and link to longer documents');
export const shortText = (what: string) => text(what, LABEL_MAX, 'shorten it');
export const link = (what: string) => text(what, LINK_MAX, 'link to a page instead');

export const positiveInt = (what: string) =>
  z
    .number({ error: (iss) => `expected ${what} as a whole number, got ${describeInput(iss.input)}` })
    .int({ error: `${what} must be a whole number` })
    .positive({ error: `${what} must be greater than zero` });

export const weight = (what: string) =>
  z
    .number({ error: (iss) => `expected ${what} as a number, got ${describeInput(iss.input)}` })
    .nonnegative({ error: `${what} cannot be negative` })
    .refine(Number.isFinite, { error: `${what} must be a finite number` });
