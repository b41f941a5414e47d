// Words as the search sees them, by the server's rules: text folded (compatibility decomposition,
// every combining mark dropped, case folded: "Café" holds the word "cafe", "Straße" the word
// "strasse"), a word a run of letters and digits of the folded text, and a query word found when
// it is the start of a word. The page uses them to know whether a search holds a word at all, and
// to mark the words of a snippet that the search found. Loaded with notes-screen.js, at sign-in.

import { h } from "./dom.js";

// The longest search the API takes, in characters.
export const MAX_QUERY_CHARS = 200;

const WORD = /[\p{L}\p{N}]+/gu;
const TRAILING_MARKS = /^\p{M}+/u;
const MARKS = /\p{M}/gu;
const CHUNK = /\S+|\s+/gu;
const ASCII = /^[\x00-\x7f]*$/;

/** `text` as matching sees it: NFKD, without combining marks, case folded ("ß" is "ss"). */
export function fold(text) {
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize("NFKD").replace(MARKS, "").replace(/[ßẞ]/g, "ss").toLowerCase().replace(/ς/g, "σ");
}

/** The folded words of `text`, in order. */
export function words(text) {
  return fold(text).match(WORD) || [];
}

/** What the box holds as the API's `q`: its text, trimmed and cut to the longest search; "" when it holds no word. */
export function searchQuery(text) {
  const query = [...String(text).trim()].slice(0, MAX_QUERY_CHARS).join("");
  return words(query).length ? query : "";
}

/** The words a note must hold the start of, each once; a word that starts another is implied by it. */
export function queryWords(query) {
  const found = [...new Set(words(query))].sort((a, b) => b.length - a.length);
  const kept = [];
  for (const word of found) {
    if (!kept.some((other) => other.startsWith(word))) kept.push(word);
  }
  return kept;
}

/**
 * `text` as strings and <mark> elements: each word that starts with one of `prefixes` (folded
 * query words) in a mark of its own, every character the original one, always as text. Folding
 * can change a text's length ("ß" is "ss"), so each run of characters without space is folded on
 * its own and a folded word's ends are found again in the run's own characters.
 */
export function marked(text, prefixes) {
  if (!prefixes.length || !text) return text ? [text] : [];
  const parts = [];
  let plain = "";
  for (const [chunk] of text.matchAll(CHUNK)) {
    if (/^\s/u.test(chunk)) {
      plain += chunk;
      continue;
    }
    let taken = 0;
    for (const word of fold(chunk).matchAll(WORD)) {
      if (!prefixes.some((prefix) => word[0].startsWith(prefix))) continue;
      const start = Math.max(taken, originalOffset(chunk, word.index));
      let end = originalOffset(chunk, word.index + word[0].length);
      end += (chunk.slice(end).match(TRAILING_MARKS) || [""])[0].length; // marks stay with their letter
      if (end <= start) continue;
      plain += chunk.slice(taken, start);
      if (plain) parts.push(plain);
      plain = "";
      parts.push(h("mark", {}, chunk.slice(start, end)));
      taken = end;
    }
    plain += chunk.slice(taken);
  }
  if (plain) parts.push(plain);
  return parts;
}

/** The offset in `chunk` (never inside a character) whose folded start is `folded` characters long. */
function originalOffset(chunk, folded) {
  if (folded <= 0) return 0;
  if (ASCII.test(chunk)) return Math.min(folded, chunk.length);
  let offset = 0;
  for (const char of chunk) {
    offset += char.length;
    if (fold(chunk.slice(0, offset)).length >= folded) return offset;
  }
  return chunk.length;
}
