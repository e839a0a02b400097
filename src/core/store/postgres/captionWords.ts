// Caption search in PostgreSQL with the SQLite log's rules (FTS5 unicode61, remove_diacritics 2): words are runs of
// letters and digits, case and accents folded; a search matches its words in order, the last one as a prefix. The
// words are folded here, in one place, and handed to PostgreSQL as tsvector / tsquery literals, so no text-search
// configuration or extension on the server can change what matches.

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase()
}

function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? []
}

/** The tsvector literal of a caption (positions kept, for phrase search); null for no caption. */
export function captionVector(caption: string | null): string | null {
  if (caption === null) return null
  // Position is capped at 16383 by PostgreSQL; captions are far shorter.
  return words(caption)
    .slice(0, 16383)
    .map((w, i) => `'${w}':${i + 1}`)
    .join(' ')
}

/** The tsquery literal of a search text: its words in order, the last as a prefix; null when it has no word. */
export function captionQuery(text: string): string | null {
  const ws = words(text)
  if (ws.length === 0) return null
  return ws.map((w, i) => (i === ws.length - 1 ? `'${w}':*` : `'${w}'`)).join(' <-> ')
}
