// slicer {average_size, size_variation, delay}: each chunk is cut into pieces of about
// `average_size` bytes (± `size_variation`), sent `delay` microseconds apart. Toxiproxy's halving
// split, with the cut points drawn from the connection's seeded generator.
import { badField } from '../errors.ts';
import type { Random } from '../../load/prng.ts';
import { intAttr, type ToxicType } from '../toxic.ts';
import { wait } from '../wait.ts';

export interface SlicerAttributes {
  average_size: number;
  size_variation: number;
  delay: number;
}

/** Cut points [start, end, start, end, ...] of a span, as toxiproxy's slicer computes them. */
export function sliceOffsets(start: number, end: number, a: SlicerAttributes, random: Random): number[] {
  if (end - start - a.average_size <= a.size_variation) return [start, end];
  const vary = a.size_variation > 0 ? Math.floor(random() * a.size_variation * 2) - a.size_variation : 0;
  const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + vary));
  return [...sliceOffsets(start, mid, a, random), ...sliceOffsets(mid, end, a, random)];
}

export const slicer: ToxicType<SlicerAttributes> = {
  type: 'slicer',
  parse: (a, prev) => {
    const attrs = {
      average_size: intAttr(a, 'average_size', prev?.average_size ?? 0, 1, 'bytes'),
      size_variation: intAttr(a, 'size_variation', prev?.size_variation ?? 0, 0, 'bytes'),
      delay: intAttr(a, 'delay', prev?.delay ?? 0, 0, 'microseconds'),
    };
    if (attrs.size_variation >= attrs.average_size) throw badField('attributes.size_variation', `less than average_size (${attrs.average_size})`, attrs.size_variation);
    return attrs;
  },
  link: (attrs, env) => ({
    async data(chunk, _readAt, emit) {
      const cuts = sliceOffsets(0, chunk.length, attrs, env.random);
      for (let i = 0; i < cuts.length; i += 2) {
        await emit(chunk.subarray(cuts[i], cuts[i + 1]));
        if (i + 2 < cuts.length) await wait(attrs.delay / 1000, env.signal);
      }
    },
  }),
};
