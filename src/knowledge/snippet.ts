/** A piece of a snippet; `hit` marks a searched word, which the desk shows highlighted. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

/** Around this many characters: two lines of the desk's result list. */
const SNIPPET_CHARS = 90;

/**
 * The sentence of the answer that holds the most searched words, cut to about two lines around
 * the first of them, with every searched word marked. Built here rather than with ts_headline,
 * which would show the answer as the database holds it: cut into space-separated words.
 */
export function snippet(answer: string, words: readonly string[]): SnippetPart[] {
  const sentences = answer.split(/(?<=[。；！？\n])/).map((s) => s.trim()).filter(Boolean);
  const marked = words.filter((w) => w.length > 0);
  let best = sentences[0] ?? '';
  let bestHits = -1;
  for (const s of sentences) {
    const lower = s.toLowerCase();
    const hits = marked.reduce((n, w) => n + (lower.includes(w) ? w.length : 0), 0);
    if (hits > bestHits) {
      best = s;
      bestHits = hits;
    }
  }
  let text = best;
  if (text.length > SNIPPET_CHARS) {
    const lower = text.toLowerCase();
    const first = Math.min(...marked.map((w) => lower.indexOf(w)).filter((i) => i >= 0), text.length);
    const start = first === text.length ? 0 : Math.max(0, Math.min(first - 20, text.length - SNIPPET_CHARS));
    text = `${start > 0 ? '…' : ''}${text.slice(start, start + SNIPPET_CHARS)}${start + SNIPPET_CHARS < text.length ? '…' : ''}`;
  }
  return markWords(text, marked);
}

/** Splits text into parts, the longest searched word winning where two overlap. */
export function markWords(text: string, words: readonly string[]): SnippetPart[] {
  const lower = text.toLowerCase();
  const hit = new Array<boolean>(text.length).fill(false);
  for (const w of [...words].sort((a, b) => b.length - a.length)) {
    // Single characters (车, 打) would light up half the text; they rank, but are not marked.
    if (w.length < 2) continue;
    for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + w.length)) hit.fill(true, i, i + w.length);
  }
  const parts: SnippetPart[] = [];
  for (let i = 0; i < text.length; ) {
    let j = i;
    while (j < text.length && hit[j] === hit[i]) j++;
    parts.push({ text: text.slice(i, j), hit: hit[i]! });
    i = j;
  }
  return parts;
}
