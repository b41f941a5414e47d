// The page's state, and the only module that changes it: screens (screens.js) draw from it,
// actions (app.js gathers them from their modules) change it through update(), reset(), busy()
// and the named changes below (those of the list of notes are notes-list.js's, loaded at sign-in,
// through update()). Each change makes a new, deeply frozen state and redraws once per turn of
// the event loop (not for a keystroke or an upload's progress: the page shows them already).
//
// Typed text lives in `drafts`, one per note (or "new"), kept in localStorage for the signed-in
// user until saved or dropped: a reload, a conflict or an expired session never loses it.

const DRAFTS_KEY = "notes.drafts";

/** The list of every note, newest made first: no words, no tag, the API's default order. */
export const PLAIN = Object.freeze({ q: "", tag: "", sort: "created" });

function initialState() {
  return {
    config: null, // config.json, as config.js read it
    screen: "loading", // loading | fatal | signin | signup | confirm | forgot | reset | notes | trash | account
    fatal: "",
    form: { email: "", password: "", code: "" }, // the signed-out forms' fields, as typed
    busy: "", // the action under way, if any
    user: null, // { email, sub }
    notes: [], // the notes listed so far, in the order of `search.sort`
    nextCursor: null,
    listState: "idle", // idle | loading | loaded | error
    listMore: false, // the listing under way (or failed) is a next page of the one shown
    listSource: "api", // where the list shown was read: "api", or "device" (offline: sync.js)
    offline: false, // the page works from the device's copy (sync.js): no network, or no answer
    waiting: 0, // changes made offline that wait to be sent (sync.js)
    search: PLAIN, // what the list shows: { q, tag, sort } as sent to the API (PLAIN: every note, newest first)
    searchText: "", // the search box, as typed (it is sent after a pause: search.q)
    tags: [], // the tags offered as filters: those of the notes listed (notes-list.js)
    openId: null, // the note open: its id, "new", or null
    reading: null, // the id of the note open to be read (its Markdown shown), not edited
    open: null, // { note, etag }: the server's copy of the open note
    drafts: {}, // id → { title, content, tags, etag }: what was typed and not saved
    conflict: null, // { id, gone, action }: a write that met a change made elsewhere
    confirming: "", // what is asked first while it shows: "delete", "remove", "purge:<noteId>"
    trash: null, // the trash view (trash.js): { notes, nextCursor, listState, listMore }
    exported: null, // the export under way or made (account.js): GET /exports/{id}'s answer
    upload: null, // { name, loaded, total } while a file goes up
    signOutWarned: false,
    focus: null, // the id of the element to focus after the next redraw
  };
}

/** Freezes objects and arrays all the way down (what is frozen already is left alone). */
function frozen(value) {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) frozen(inner);
  }
  return value;
}

/** The current state: importers see each new one, and can only read it. */
export let state = frozen(initialState());

let redraw = () => {};
let scheduled = false;

export function onChange(render) {
  redraw = render;
}

/** The one place a new state is made; no redraw. */
function change(patch) {
  state = frozen({ ...state, ...patch });
}

function scheduleRedraw() {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    const shown = state;
    if (shown.focus) change({ focus: null }); // focus moves once, on the redraw that asked
    redraw(shown);
  });
}

export function update(patch) {
  change(patch);
  scheduleRedraw();
}

/** Runs `run` as the one action under way (state.busy: `name`); nothing while another is. */
export async function busy(name, run) {
  if (state.busy) return;
  update({ busy: name });
  try {
    await run();
  } finally {
    update({ busy: "" });
  }
}

/** Starts over, signed out, keeping the configuration. */
export function reset(patch = {}) {
  state = frozen({ ...initialState(), config: state.config, ...patch });
  scheduleRedraw();
}

/** Records a keystroke in a signed-out form: no redraw, the field already shows it. */
export function editForm(name, value) {
  change({ form: { ...state.form, [name]: value } });
}

/** A keystroke in the search box: no redraw, the box shows it already. */
export function typeSearch(text) {
  change({ searchText: text });
}

/** The bytes of the file going up: no redraw, the progress bar is moved as it is. */
export function uploadProgress(loaded, total) {
  if (state.upload) change({ upload: { ...state.upload, loaded, total } });
}

/** An export's progress as polled: no redraw, the progress bar is moved as it is. */
export function exportProgress(exported) {
  change({ exported });
}

// --- drafts --------------------------------------------------------------------------------

let saveTimer = 0;

export function parseTags(text) {
  const seen = new Set();
  for (const part of String(text).split(",")) {
    const tag = part.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

/** What the editor shows for note `id`: the draft if there is one, else the server's copy. */
export function editorFields(id) {
  const draft = state.drafts[id];
  if (draft) return draft;
  const note = id === "new" ? null : state.open?.note;
  return { title: note?.title || "", content: note?.content || "", tags: (note?.tags || []).join(", ") };
}

function setDraft(id, draft) {
  change({ drafts: { ...state.drafts, [id]: draft } });
}

function draftsWithout(id) {
  const drafts = { ...state.drafts };
  delete drafts[id];
  return drafts;
}

/** A keystroke in the editor (no redraw); a sign-out warned about unsaved text warns again. */
export function editField(id, field, value) {
  const draft = state.drafts[id] || { ...editorFields(id), etag: id === "new" ? "" : state.open?.etag || "" };
  setDraft(id, { ...draft, [field]: value });
  change({ signOutWarned: false });
  clearTimeout(saveTimer);
  saveTimer = setTimeout(storeDrafts, 250);
}

/** True when the draft of `id` differs from the note as saved. */
export function isDirty(id) {
  const draft = state.drafts[id];
  if (!draft) return false;
  if (id === "new") return Boolean(draft.title || draft.content || draft.tags.trim());
  const note = state.open?.note?.noteId === id ? state.open.note : state.notes.find((n) => n.noteId === id);
  if (!note) return true;
  return (
    draft.title !== note.title ||
    draft.content !== note.content ||
    parseTags(draft.tags).join("\n") !== (note.tags || []).join("\n")
  );
}

/** The draft of `id` is dropped (saved, discarded, or replaced by the latest version); no redraw. */
export function dropDraft(id) {
  change({ drafts: draftsWithout(id) });
  storeDrafts();
}

/** After a save of `sent`: text typed meanwhile stays, a draft of `savedId` at `etag`. */
export function keepTypedSince(id, sent, etag, savedId) {
  const now = state.drafts[id];
  const unchanged = !now || (now.title === sent.title && now.content === sent.content && now.tags === sent.tags);
  const drafts = draftsWithout(id);
  if (!unchanged) drafts[savedId] = { ...now, etag };
  change({ drafts });
  storeDrafts();
}

/** The draft of `id` was based on `before`, which our own change just replaced by `after`. */
export function carryDraftForward(id, before, after) {
  const draft = state.drafts[id];
  if (draft && draft.etag === before) {
    setDraft(id, { ...draft, etag: after });
    storeDrafts();
  }
}

/** The drafts become `drafts` (sync.js: a note sent, or a write refused); no redraw. */
export function replaceDrafts(drafts) {
  change({ drafts });
  storeDrafts();
}

/** The text shown for `id` becomes a draft of version `etag`, which the next save replaces. */
export function rebaseDraft(id, etag) {
  setDraft(id, { ...editorFields(id), etag });
  storeDrafts();
}

export function storeDrafts() {
  clearTimeout(saveTimer);
  if (!state.user) return;
  try {
    const kept = Object.keys(state.drafts).length ? { sub: state.user.sub, drafts: state.drafts } : null;
    if (kept) localStorage.setItem(DRAFTS_KEY, JSON.stringify(kept));
    else localStorage.removeItem(DRAFTS_KEY);
  } catch {
    // storage refused: the drafts last as long as the page
  }
}

/** The drafts kept for `sub`; another user's are dropped, never shown. */
export function loadDrafts(sub) {
  try {
    const kept = JSON.parse(localStorage.getItem(DRAFTS_KEY) || "null");
    if (kept && kept.sub === sub && kept.drafts && typeof kept.drafts === "object") return kept.drafts;
    if (kept) localStorage.removeItem(DRAFTS_KEY);
  } catch {
    // nothing usable kept
  }
  return {};
}

export function forgetDrafts() {
  clearTimeout(saveTimer);
  try {
    localStorage.removeItem(DRAFTS_KEY);
  } catch {
    // nothing was kept
  }
}

addEventListener("pagehide", storeDrafts);
