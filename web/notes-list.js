// The list of notes, signed in: its pages from the API, the notes changed in it, and finding
// notes (the search box, the tags as filters, the order). Loaded with notes-screen.js at sign-in
// (a first visit does without it): app.js adds the actions below to its own, and changes the list
// through the functions exported here. The list shows every note, or a search: words typed in the
// search box (sent after a pause), a tag, an order; an answer to an earlier listing is dropped.

import { clearMessages, noteLabel, say } from "./screens.js";
import { isDirty, state, typeSearch, update } from "./state.js";
import { searchQuery } from "./words.js";

const PAGE_SIZE = 20;
const SEARCH_PAUSE_MS = 250; // typing goes on for this long without a keystroke: the search is sent

// app.js's wiring: { api: the API client (once started), failed: says what failed, setAddress }
let app = null;
let listing = 0; // the latest listing asked for: the answer to an earlier one is dropped
let searchTimer = 0;

/** The actions on the list, listing through `wiring` ({ api, failed }: app.js's). */
export function listActions(wiring) {
  app = wiring;
  return {
    loadMore() {
      return loadNotes(true);
    },

    retryList() {
      clearMessages();
      return loadNotes(state.listMore);
    },

    // --- finding notes: the search box, the tags, the order ---------------------------------

    /** A keystroke in the search box: the search is sent once typing pauses (at once when emptied, or `now`: Enter). */
    typeSearch(text, { now = false } = {}) {
      typeSearch(text);
      clearTimeout(searchTimer);
      const q = searchQuery(text);
      if (q === state.search.q) return;
      if (!q || now) return find({});
      searchTimer = setTimeout(() => find({}), SEARCH_PAUSE_MS);
    },

    /** Escape in the search box: empty again, and the list without words. */
    clearSearch() {
      typeSearch("");
      return find({});
    },

    /** A tag's button: the list of the notes carrying it; the same button again, without. */
    filterByTag(tag) {
      return find({ tag: state.search.tag && sameTag(state.search.tag, tag) ? "" : tag });
    },

    sortBy(sort) {
      return find({ sort: sort === "updated" ? "updated" : "created" });
    },

    /** After a search that found nothing: every note again (in the order chosen). */
    showAllNotes() {
      typeSearch("");
      return find({ tag: "", focus: "search" });
    },
  };
}

/**
 * The list from its first page, as the search box, `patch` ({ tag, sort }) and the search shown
 * ask; nothing when that is what is shown (or asked for) already. `focus`: where focus goes.
 */
function find({ focus, ...patch }) {
  clearTimeout(searchTimer);
  if (state.screen !== "notes") return;
  const search = { ...state.search, q: searchQuery(state.searchText), ...patch };
  const same = ["q", "tag", "sort"].every((name) => search[name] === state.search[name]);
  if (same && state.listState !== "error") {
    if (focus) update({ focus });
    return;
  }
  update(focus ? { search, focus } : { search });
  return loadNotes(false);
}

/** Signed out: no listing or search is waited for any more, and nothing found is left to read out. */
export function stopListing() {
  clearTimeout(searchTimer);
  listing += 1;
  announce("");
}

/**
 * A page of the list shown (`more`), or its first page: a new listing (a search changed) is asked
 * for at once, and the answer to any listing asked for before it is dropped when it comes.
 */
export async function loadNotes(more) {
  const api = app?.api();
  if (!api || (more && state.listState === "loading")) return;
  const asked = ++listing;
  const { search } = state;
  const cursor = more ? state.nextCursor : null;
  update({ listState: "loading", listMore: more });
  try {
    const page = await listFrom(api, cursor, search);
    if (asked !== listing) return; // a newer listing was asked for meanwhile
    const fresh = addPage(page, more);
    if (more && fresh.length) update({ focus: `note-${fresh[0].noteId}` });
    if (more) say(`${fresh.length} more ${fresh.length === 1 ? "note" : "notes"} shown.`);
    else announce(foundWords(search, page.notes.length, Boolean(page.nextCursor)));
    if (!more) closeOutsideResults(search, Boolean(page.nextCursor));
  } catch (error) {
    if (asked !== listing) return;
    if (state.screen === "notes") update({ listState: "error" });
    app.failed(error, "Your notes could not be loaded:");
  }
}

/**
 * A page of the list from the API; offline (or when the API does not answer), from the device's
 * copy (sync.js), which then answers until the list is read from the start again.
 */
async function listFrom(api, cursor, search) {
  const device = app.sync();
  const local = String(cursor || "").startsWith("local:");
  if (device && (local || navigator.onLine === false)) {
    const page = await device.listNotes(local ? cursor : null, PAGE_SIZE, search);
    return { ...page, source: "device" };
  }
  try {
    return { ...(await api.listNotes(cursor, PAGE_SIZE, search)), source: "api" };
  } catch (error) {
    if (!device || error.kind !== "unreachable" || cursor || !(await device.hasCopy())) throw error;
    return { ...(await device.listNotes(null, PAGE_SIZE, search)), source: "device" };
  }
}

/**
 * A search's results shown, the note open among them or closed: the editor never shows a note the
 * list does not. Its unsaved changes stay a draft, shown again when it is opened; a new note being
 * written stays open.
 */
function closeOutsideResults(search, more) {
  const id = state.openId;
  if (!id || id === "new" || state.screen !== "notes" || (!search.q && !search.tag)) return;
  if (state.notes.some((n) => n.noteId === id)) return;
  const label = state.open?.note ? `“${noteLabel(state.open.note)}”` : "The note you had open";
  const kept = isDirty(id) ? " Its unsaved changes are kept: show all notes to find it." : "";
  update({ openId: null, open: null, confirming: "" });
  app.setAddress?.(null);
  say(`${label} is not among the notes found${more ? " so far" : ""}, so it is closed.${kept}`);
}

// --- the notes listed ----------------------------------------------------------------------

/** A page of the list, after the notes listed already or instead of them; the notes it added. */
function addPage(page, more) {
  const known = new Set(more ? state.notes.map((n) => n.noteId) : []);
  const fresh = page.notes.filter((n) => !known.has(n.noteId));
  // The first page of every note starts the filters afresh: a tag no note carries any more goes.
  const plainStart = !more && !state.search.q && !state.search.tag;
  update({
    notes: more ? [...state.notes, ...fresh] : fresh,
    nextCursor: page.nextCursor,
    listSource: page.source,
    listState: "loaded",
    tags: tagsAfter(plainStart ? [] : state.tags, fresh),
  });
  return fresh;
}

/** A note just created: first in the list. */
export function addNote(note, patch = {}) {
  update({ notes: [note, ...state.notes], tags: tagsAfter(state.tags, [note]), ...patch });
}

/**
 * The server's latest copy of a listed note takes its place in the list; in a list by last
 * change, a note changed since it was listed goes first.
 */
export function replaceNote(note) {
  const index = state.notes.findIndex((n) => n.noteId === note.noteId);
  if (index < 0) return;
  const tags = tagsAfter(state.tags, [note]);
  if (state.search.sort === "updated" && state.notes[index].updatedAt !== note.updatedAt) {
    update({ notes: [note, ...state.notes.filter((_, i) => i !== index)], tags });
  } else {
    update({ notes: state.notes.map((n, i) => (i === index ? note : n)), tags });
  }
}

/** A note back from the trash: at `index` of the list, where it was (once). */
export function insertNote(note, index, patch = {}) {
  const notes = state.notes.filter((n) => n.noteId !== note.noteId);
  notes.splice(Math.min(index, notes.length), 0, note);
  update({ notes, tags: tagsAfter(state.tags, [note]), ...patch });
}

/** A note deleted, here or elsewhere: out of the list. */
export function removeNote(id, patch = {}) {
  update({ notes: state.notes.filter((n) => n.noteId !== id), ...patch });
}

/**
 * Notes changed elsewhere, or on their way from this device (`changed`: id → the note, or null
 * when it is gone), shown in the list: a listed one replaced by a newer version, or removed; one
 * not listed added where the list's order puts it, when the list holds every note and that place
 * is among the notes listed. `replacing`: the id the note had here (made offline), whose place it
 * takes. The list of every note stays in its order: newest made, or last changed, first.
 */
export function showChanges(changed, { replacing = null } = {}) {
  const plain = !state.search.q && !state.search.tag;
  const key = state.search.sort === "updated" ? "updatedAt" : "createdAt";
  const listed = new Set();
  const notes = [];
  let moved = false; // the list is redrawn only when something in it changed
  for (const note of state.notes) {
    const id = note.noteId === replacing ? [...changed.keys()][0] : note.noteId;
    const now = changed.get(id);
    listed.add(id);
    if (now === null) moved = true;
    else if (now && (now.version > note.version || now.pending !== note.pending || id !== note.noteId)) {
      notes.push(now);
      moved = true;
    } else notes.push(note);
  }
  const last = notes.length ? notes[notes.length - 1][key] || "" : "";
  const added = [];
  for (const [id, note] of changed) {
    if (!note || listed.has(id) || !plain) continue;
    if (state.nextCursor && (note[key] || "") < last) continue; // it comes with a next page
    added.push(note);
  }
  if (!moved && !added.length) return;
  const all = [...notes, ...added];
  if (plain && (added.length || key === "updatedAt")) all.sort(newestFirst(key));
  update({ notes: all, tags: tagsAfter(state.tags, [...changed.values()].filter(Boolean)) });
}

/** The order of the list of every note: by `key` ("createdAt" or "updatedAt"), newest first. */
export function newestFirst(key) {
  return (a, b) => (b[key] || "").localeCompare(a[key] || "") || b.noteId.localeCompare(a.noteId);
}

/** The same tag, as the API compares tags: ignoring case. */
export function sameTag(a, b) {
  return a.toLowerCase() === b.toLowerCase();
}

/** `tags` and those of `notes`, each once (ignoring case, spelt as first seen), in alphabetical order. */
function tagsAfter(tags, notes) {
  const all = [...tags];
  for (const note of notes) {
    for (const tag of note.tags || []) if (!all.some((known) => sameTag(known, tag))) all.push(tag);
  }
  if (all.length === tags.length) return tags;
  return all.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
}

// --- what a search found, in words ---------------------------------------------------------

/** What a search found, for screen readers (#found): the list shows it already. */
function announce(text) {
  const region = document.getElementById("found");
  if (region) region.textContent = text;
}

/** What a listing by `search` holds, after "No notes", "1 note" or "3 notes". */
export function found(search, one) {
  const q = `“${search.q}”`;
  const tag = `“${search.tag}”`;
  if (search.q && search.tag) return `tagged ${tag} ${one ? "matches" : "match"} ${q}`;
  if (search.q) return `${one ? "matches" : "match"} ${q}`;
  return `${one ? "is" : "are"} tagged ${tag}`;
}

/** What the first page of a listing by `search` found, in words ("" for every note, newest first). */
function foundWords(search, count, more) {
  if (!search.q && !search.tag) return search.sort === "updated" ? "Your notes, most recently changed first." : "";
  if (!count) return `No notes ${found(search, false)}.`;
  if (more) return `${count} notes ${found(search, false)} so far: Load more shows the next ones.`;
  return `${count === 1 ? "1 note" : `${count} notes`} ${found(search, count === 1)}.`;
}
