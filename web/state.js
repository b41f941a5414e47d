// The page's state, in one place. Screens are drawn from it (screens.js); actions (app.js)
// change it with update(), which redraws once per turn of the event loop.
//
// Typed text lives in `drafts`, one per note (or "new"), and is kept in localStorage for the
// signed-in user until it is saved or deliberately dropped: a reload, a conflict or an expired
// session never throws it away. Signing out forgets it.

const DRAFTS_KEY = "notes.drafts";

export const state = initialState();

export function initialState() {
  return {
    config: null,
    screen: "loading", // loading | fatal | signin | signup | confirm | forgot | reset | notes
    fatal: "",
    form: { email: "", password: "", code: "" }, // the signed-out forms' fields, as typed
    busy: "", // the action under way, if any
    user: null, // { email, sub }
    notes: [], // the notes listed so far, newest first
    nextCursor: null,
    listState: "idle", // idle | loading | loaded | error
    openId: null, // the note shown in the editor: its id, "new", or null
    open: null, // { note, etag }: the server's copy of the open note
    drafts: {}, // id → { title, content, tags, etag }: what was typed and not saved
    conflict: null, // { id, gone }: a save that met a change made elsewhere
    confirming: "", // "delete" while the delete confirmation shows
    upload: null, // { name, loaded, total } while a file goes up
    signOutWarned: false,
    focus: null, // the id of the element to focus after the next redraw
  };
}

let redraw = () => {};
let scheduled = false;

export function onChange(render) {
  redraw = render;
}

export function update(patch) {
  Object.assign(state, patch);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    redraw(state);
  });
}

/** Starts over, signed out, keeping the configuration. */
export function reset(patch = {}) {
  const config = state.config;
  Object.assign(state, initialState(), { config }, patch);
  update({});
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

/** Records a keystroke: no redraw, the field already shows it. */
export function editField(id, field, value) {
  if (!state.drafts[id]) {
    state.drafts[id] = { ...editorFields(id), etag: id === "new" ? "" : state.open?.etag || "" };
  }
  state.drafts[id][field] = value;
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

export function dropDraft(id) {
  delete state.drafts[id];
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
