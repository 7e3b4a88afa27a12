// "Did you mean" hints: the closest known word within a small edit distance.

/** Damerau-Levenshtein (optimal string alignment) distance, so a swap like p59/p95 costs 1. */
export function editDistance(a: string, b: string): number {
  const cols = b.length + 1;
  // Three rows (two back, for the swap), reused: this runs once per unknown key and known word.
  let back2 = new Int32Array(cols);
  let back1 = new Int32Array(cols);
  let row = new Int32Array(cols);
  for (let j = 0; j < cols; j++) back1[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(back1[j] + 1, row[j - 1] + 1, back1[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, back2[j - 2] + 1);
      row[j] = d;
    }
    [back2, back1, row] = [back1, row, back2];
  }
  return back1[cols - 1];
}

/**
 * The known word closest to `word`, if it is close enough to be a likely typo. Words whose length
 * alone puts them out of reach are skipped, so a long unknown key costs no more than a short one.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  // Allow about one typo per three letters, and at least one.
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    if (Math.abs(other.length - lower.length) > allowed) continue; // the distance is at least the length difference
    const distance = editDistance(lower, other);
    // On a tie, prefer an anagram: swapped letters are the commonest typo.
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && isAnagram(lower, other) && !isAnagram(lower, best.toLowerCase()))) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}

function isAnagram(a: string, b: string): boolean {
  return a.length === b.length && [...a].sort().join('') === [...b].sort().join('');
}
