// Every device up to date, online or not. Loaded by app.js at sign-in, it keeps this device's
// copy of the notes (device.js: IndexedDB) from the change feed (GET /changes), pulled at
// sign-in, whenever the live connection (a WebSocket to config.wsUrl) says the notes changed, and
// when the network returns; it shows each change in the page without a reload, never touching
// text being typed. Offline, the list and its search are the device's, and a write is kept in the
// outbox (at most one change per note: a later one takes the place of the earlier, which is what
// it would have replaced), sent in order with If-Match when the network returns. A write refused
// because the note changed elsewhere meanwhile (412) keeps the other device's version as the
// note and the text typed here as a new note, "<title> (conflict <date and time>)"; a note deleted
// elsewhere and edited here comes back as a new note. Nothing typed is ever lost. The page's own
// files are kept by a service worker (sw.js), registered here, for a reload without a network.

import { openDevice, forgetDevice } from "./device.js";
import { newestFirst, sameTag, showChanges } from "./notes-list.js";
import { noteLabel, say, warn } from "./screens.js";
import { carryDraftForward, dropDraft, isDirty, replaceDrafts, state, update } from "./state.js";
import { queryWords, words } from "./words.js";

const FEED_PAGE = 500;
const KEEPALIVE_MS = 5 * 60 * 1000; // API Gateway closes a connection idle for 10 minutes
const LONGEST_PAUSE_S = 30;
const RETRY_MS = 15 * 1000; // the API asked again, while it does not answer
const LOCAL = "local-"; // the id of a note made offline, until it is sent
const FOLLOW_AFTER_MS = 1000;
// The service worker fetches every file of the page once, as it is installed (the first sign-in
// on a device): a few seconds later still.
const WORKER_AFTER_MS = 3000;

// app.js's wiring: { api(), list(), token(), failed, setAddress }
let app = null;
let device = null;
let owner = ""; // the signed-in user's sub
let ready = null; // the device's copy opened and read: a promise (opened())
let known = new Map(); // noteId → the note as the server last gave it
let outbox = []; // the waiting changes, oldest first: { kind, noteId, fields, etag, base, madeAt }
let cursor = null; // the feed's, after the changes kept
let pulling = null;
let pullAgain = false;
let flushing = null;
let unreachable = false; // the API did not answer, though the browser says it is online
let retry = 0;
let live = null; // the WebSocket
let pause = 1; // seconds before connecting again
let reconnect = 0;
let keepalive = 0;
let stopped = true;
let quiet = false; // quietWhile()
let starting = 0;

/**
 * Starts for `user` ({ sub }), with app.js's `wiring`. The device's copy is opened when it is
 * first needed (offline, the first page of notes), else by `follow()`, which app.js calls once the
 * first page of notes is shown: signing in waits for nothing more.
 */
export function startSync(wiring, user) {
  app = wiring;
  owner = user.sub;
  stopped = false;
  unreachable = false;
  pause = 1;
  ready = null;
}

/** The device's copy, opened and read (once). */
function opened() {
  ready ||= (async () => {
    try {
      device = await openDevice(owner);
      const [notes, waiting, kept] = await Promise.all([device.notes(), device.outbox(), device.meta("cursor")]);
      known = new Map(notes.map((note) => [note.noteId, note]));
      outbox = waiting;
      cursor = kept || null;
    } catch {
      device = null; // no IndexedDB (a private window may refuse it): the page works online
    }
    showState();
  })();
  return ready;
}

/**
 * Keeps the device's copy from now on: the feed pulled, the live connection opened, what waits
 * sent; a moment after the first page of notes is shown (it is current: nothing is missed), so
 * that what a person asks for first never waits behind it.
 */
export function follow() {
  if (stopped) return;
  clearTimeout(starting);
  starting = setTimeout(async () => {
    await opened();
    if (stopped) return;
    setTimeout(registerWorker, WORKER_AFTER_MS);
    connect();
    flush();
    pull();
  }, FOLLOW_AFTER_MS);
}

/** Signed out, or the session ended: nothing more is pulled, sent or listened to. `forget`: the
 * device's copy and its waiting changes are deleted too. */
export async function stopSync({ forget = false } = {}) {
  stopped = true;
  clearTimeout(starting);
  clearTimeout(reconnect);
  clearTimeout(retry);
  clearInterval(keepalive);
  if (live) live.close(1000, "signed out");
  live = null;
  await ready; // opened meanwhile: closed all the same
  device?.close();
  device = null;
  ready = null;
  known = new Map();
  outbox = [];
  cursor = null;
  if (forget) await forgetDevice();
}

/** The changes waiting, as a sign-out says them ("" when none). */
export function unsent() {
  const count = outbox.length;
  if (!count) return "";
  const changes = count === 1 ? "1 change made offline has" : `${count} changes made offline have`;
  return `${changes} not been sent yet: signing out deletes this device's copy of your notes with ${count === 1 ? "it" : "them"}.`;
}

/** Runs `run` (the account's deletion) with nothing pulled, nor sent, meanwhile: a refused token
 * is then the deletion's own doing, which its end says. */
export async function quietWhile(run) {
  quiet = true;
  try {
    return await run();
  } finally {
    quiet = false;
  }
}

/** True when the page works from the device's copy: no network, or the API did not answer. */
export function offline() {
  return navigator.onLine === false || unreachable;
}

/** True when `id` is a note made offline, not sent yet. */
export function madeHere(id) {
  return id.startsWith(LOCAL);
}

/** True when `id` is a note made offline, or has a change waiting: its writes go to the outbox. */
export function pending(id) {
  return madeHere(id) || outbox.some((entry) => entry.noteId === id);
}

/** True when the device's copy of `id` is the note: offline, or a change of it waits (its reads
 * are the copy's, its writes the outbox's). */
export function keptHere(id) {
  return offline() || pending(id);
}

/** True for a failure that ends the session (app.js's failed() then signs the person out). */
function endsSession(error) {
  return ["expired", "unauthorized", "deleted"].includes(error.kind);
}

/** The API did not answer a request of the page: it works from the device's copy until it does. */
export function cannotReach() {
  if (!unreachable) {
    unreachable = true;
    showState();
  }
  clearTimeout(retry); // asked again after a while, until it answers
  if (!stopped) retry = setTimeout(pull, RETRY_MS);
}

/** The API answered a request of the page: what waits is sent. */
export function reached() {
  if (unreachable) {
    unreachable = false;
    clearTimeout(retry);
    showState();
    flush();
    pull();
  }
}

/** True when the device holds a copy of the notes (the feed was read once at least). */
export async function hasCopy() {
  await opened();
  return holdsCopy();
}

function holdsCopy() {
  return cursor !== null || outbox.length > 0;
}

function showState() {
  if (stopped || (state.offline === offline() && state.waiting === outbox.length)) return;
  update({ offline: offline(), waiting: outbox.length });
}

function registerWorker() {
  // The page's files for a reload without a network (sw.js); the page works without it.
  navigator.serviceWorker?.register("sw.js").catch(() => {});
}

// --- the device's notes --------------------------------------------------------------------

/** The note as this device shows it: the server's, with the change waiting for it, if any. */
export function shown(id) {
  const entry = outbox.find((e) => e.noteId === id);
  if (!entry) return known.get(id) || null;
  if (entry.kind === "delete") return null;
  const base = known.get(id) || entry.base;
  return { ...base, ...entry.fields, updatedAt: entry.madeAt, pending: true };
}

function deviceNotes() {
  const ids = new Set([...known.keys(), ...outbox.map((entry) => entry.noteId)]);
  return [...ids].map(shown).filter(Boolean);
}

/**
 * A page of the device's notes, as the API's listing answers one (`cursor`: "local:<offset>"): the
 * search's words each the start of a word of the title, content or tags, the tag carried (case
 * ignored), in the order asked for.
 */
export async function listNotes(cursor, limit, { q = "", tag = "", sort = "created" } = {}) {
  await opened();
  if (!holdsCopy()) throw new Error("your notes are not on this device yet: they show once you are back online.");
  const prefixes = q ? queryWords(q) : [];
  const key = sort === "updated" ? "updatedAt" : "createdAt";
  const found = deviceNotes()
    .filter((note) => !tag || (note.tags || []).some((t) => sameTag(t, tag)))
    .filter((note) => {
      if (!prefixes.length) return true;
      const held = words([note.title, note.content, ...(note.tags || [])].join(" "));
      return prefixes.every((prefix) => held.some((word) => word.startsWith(prefix)));
    })
    .sort(newestFirst(key));
  const start = Number.parseInt(String(cursor || "").replace("local:", ""), 10) || 0;
  const end = start + limit;
  return { notes: found.slice(start, end), nextCursor: end < found.length ? `local:${end}` : null };
}

// --- writes made offline -------------------------------------------------------------------

/**
 * Keeps a write in the outbox, to be sent when the network returns; the note as the device now
 * shows it (null when deleted). `id` "new" makes a note (with an id of its own until it is sent);
 * `fields` ({ title, content, tags }) is what is saved; `etag` the version the change replaces;
 * `note` the note as the page shows it, should the device not hold it yet.
 */
export async function keepWrite(kind, id, fields, etag, note = null) {
  await opened();
  const madeAt = new Date().toISOString();
  const noteId = id === "new" ? `${LOCAL}${crypto.randomUUID()}` : id;
  const base = shown(noteId) || note;
  const change = (entries) => {
    const index = entries.findIndex((e) => e.noteId === noteId);
    const earlier = entries[index];
    if (!earlier) {
      const created = kind === "create" ? { noteId, createdAt: madeAt, version: 0, tags: [], attachment: null } : base;
      return [...entries, { kind, noteId, fields, etag, base: created, madeAt }];
    }
    const after = [...entries];
    if (kind === "delete" && earlier.kind === "create") after.splice(index, 1); // never sent: gone
    else after[index] = { ...earlier, kind: kind === "delete" ? "delete" : earlier.kind, fields, madeAt };
    return after;
  };
  await changeOutbox(change);
  showState();
  return shown(noteId);
}

/** The outbox changed by `change(entries)` (the new list), on the device too when it is there. */
async function changeOutbox(change) {
  outbox = device ? await device.changeOutbox(change) : change(outbox);
}

/** Sends the waiting changes, oldest first; one page of this device at a time. */
export function flush() {
  if (flushing || stopped || quiet || offline() || !outbox.length) return flushing;
  const run = async () => {
    const told = [];
    try {
      await sendWaiting(told);
    } finally {
      flushing = null;
      showState();
      if (told.length) say(told.join(" "));
    }
    pull();
  };
  flushing = navigator.locks ? navigator.locks.request("notes-outbox", run) : run();
  return flushing;
}

async function sendWaiting(told) {
  if (device) outbox = await device.outbox(); // another page of this device may have sent some
  while (outbox.length && !stopped) {
    const entry = outbox[0];
    let went = null;
    try {
      went = await send(entry, told);
    } catch (error) {
      if (error.kind === "unreachable") return; // sent when the API answers again
      if (endsSession(error)) {
        if (!quiet && !stopped) app.failed(error);
        return;
      }
      refused(entry, error, told);
    }
    await settle(entry, went);
    showState();
  }
}

/**
 * The change `entry` sent: out of the outbox, unless the note was changed here again while it
 * went; that change then goes on from where the text went (`went`: { noteId, etag }).
 */
async function settle(entry, went) {
  const change = (entries) => {
    const index = entries.findIndex((e) => e.noteId === entry.noteId);
    if (index < 0) return entries;
    const now = entries[index];
    const after = [...entries];
    if (now.madeAt === entry.madeAt || !went) after.splice(index, 1);
    else after[index] = { ...now, kind: now.kind === "delete" ? "delete" : "save", noteId: went.noteId, etag: went.etag };
    return after;
  };
  await changeOutbox(change);
}

/** Sends one waiting change; where its text went ({ noteId, etag }), or null (a deletion). */
async function send(entry, told) {
  const api = app.api();
  const { noteId, fields } = entry;
  if (entry.kind === "create") {
    return arrived(await api.createNote(fields), { replacing: noteId });
  }
  if (entry.kind === "delete") {
    try {
      await api.deleteNote(noteId, entry.etag);
      known.delete(noteId);
      await device?.keep({ gone: [noteId] });
    } catch (error) {
      if (error.kind === "notfound") return null; // gone already
      if (error.kind !== "conflict") throw error;
      const latest = await api.getNote(noteId);
      await arrived(latest);
      told.push(`“${noteLabel(latest.note)}” was changed on another device, so it was not moved to the trash.`);
    }
    return null;
  }
  try {
    const saved = await api.saveNote(noteId, fields, entry.etag);
    carryDraftForward(noteId, entry.etag, saved.etag);
    return arrived(saved);
  } catch (error) {
    if (error.kind === "notfound") {
      const created = await api.createNote(fields);
      told.push(`“${noteLabel(fields)}” was deleted on another device: your changes are kept as a new note.`);
      return arrived(created, { replacing: noteId });
    }
    if (error.kind !== "conflict") throw error;
  }
  // Changed elsewhere meanwhile: that version stays the note; the text typed here a new note.
  const latest = await api.getNote(noteId);
  if (sameFields(latest.note, fields)) return arrived(latest); // sent before, and answered too late
  const title = conflictTitle(fields, entry.madeAt);
  const copy = await api.createNote({ ...fields, title });
  await arrived(latest);
  told.push(`“${noteLabel(latest.note)}” was changed on another device meanwhile: that version is kept, and yours is the new note “${title}”.`);
  return arrived(copy);
}

/**
 * A change refused for another reason (the API says why): the note is shown as the server has it
 * (a note made offline: gone), and the text typed stays in the editor as unsaved changes.
 */
function refused(entry, error, told) {
  const { noteId, fields } = entry;
  const server = known.get(noteId) || null;
  const open = state.openId === noteId;
  showChanges(new Map([[noteId, server]]));
  if (entry.kind === "delete") {
    told.push(`“${noteLabel(entry.base)}” could not be moved to the trash: ${error.message}`);
    return;
  }
  const id = entry.kind === "create" ? "new" : noteId;
  const draft = { title: fields.title, content: fields.content, tags: fields.tags.join(", "), etag: entry.etag || "" };
  replaceDrafts({ ...state.drafts, [id]: draft });
  if (open && entry.kind === "create") update({ openId: "new", open: null });
  else if (open && server) update({ open: { note: server, etag: entry.etag } });
  told.push(`A change made offline to “${noteLabel(fields)}” was refused: ${error.message} Its text is kept as unsaved changes.`);
}

function sameFields(note, fields) {
  return note.title === fields.title && note.content === fields.content && (note.tags || []).join("\n") === fields.tags.join("\n");
}

/** "<title> (conflict <local date and time>)", within the longest title. */
export function conflictTitle(fields, madeAt) {
  const when = new Date(madeAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const suffix = ` (conflict ${when})`;
  const longest = state.config.titleMaxChars - [...suffix].length;
  return [...noteLabel(fields)].slice(0, Math.max(longest, 0)).join("") + suffix;
}

/**
 * A note the API answered (`{ note, etag }`) kept on the device and shown; `replacing`: the id it
 * had here (a note made offline, or deleted elsewhere), whose place, draft and editor it takes.
 * Where its text now is: { noteId, etag }.
 */
async function arrived({ note, etag }, { replacing = null } = {}) {
  known.set(note.noteId, note);
  if (replacing) known.delete(replacing);
  await device?.keep({ notes: [note], gone: replacing ? [replacing] : [] });
  if (replacing) {
    const { [replacing]: draft, ...others } = state.drafts; // its draft goes with it
    if (draft) replaceDrafts({ ...others, [note.noteId]: { ...draft, etag } });
    const wasOpen = state.openId === replacing;
    showChanges(new Map([[note.noteId, note]]), { replacing });
    if (wasOpen) {
      const reading = state.reading === replacing ? note.noteId : state.reading;
      update({ openId: note.noteId, reading, open: { note, etag }, conflict: null });
      app.setAddress(note.noteId);
    }
  } else {
    showChanges(new Map([[note.noteId, note]]));
    showOpen(note.noteId, note, { etag, own: true });
  }
  return { noteId: note.noteId, etag };
}

// --- the change feed -----------------------------------------------------------------------

/** Pulls the feed from the device's cursor, until it has no more; one pull at a time. */
export function pull() {
  if (stopped || quiet) return Promise.resolve();
  if (pulling) {
    pullAgain = true;
    return pulling;
  }
  pulling = (async () => {
    await opened();
    do {
      pullAgain = false;
      await pullOnce();
    } while (pullAgain && !stopped);
  })().finally(() => {
    pulling = null;
  });
  return pulling;
}

async function pullOnce() {
  let since = cursor;
  let before = since ? null : new Set(known.keys()); // starting again: what the feed no longer has goes
  for (;;) {
    let page;
    try {
      page = await app.api().changes(since, FEED_PAGE);
    } catch (error) {
      // Too old a cursor (410), or one the feed no longer takes (400): the copy starts again.
      if ((error.code === "ResyncRequired" || error.status === 400) && since) {
        since = null;
        before = new Set(known.keys());
        continue;
      }
      if (!quiet && !stopped && endsSession(error)) app.failed(error);
      return; // unreachable: pulled again when the API answers, or the network returns
    }
    if (stopped) return;
    const changed = new Map();
    const notes = [];
    const gone = [];
    for (const change of page.changes) {
      before?.delete(change.noteId);
      if (change.deleted) {
        known.delete(change.noteId);
        gone.push(change.noteId);
        changed.set(change.noteId, null);
      } else {
        const held = known.get(change.noteId);
        if (held && held.version > change.note.version) continue; // this page holds a newer one
        known.set(change.noteId, change.note);
        notes.push(change.note);
        changed.set(change.noteId, change.note);
      }
    }
    if (before && !page.more) {
      for (const id of before) {
        known.delete(id);
        gone.push(id);
        changed.set(id, null);
      }
    }
    cursor = page.cursor;
    await device?.keep({ notes, gone, cursor, replace: since === null });
    show(changed);
    since = page.cursor;
    if (!page.more) break;
  }
  if (outbox.length) flush();
}

/** Changes from the feed shown in the page: not those of notes with a change waiting here. */
function show(changed) {
  for (const id of changed.keys()) if (pending(id)) changed.delete(id);
  if (!changed.size) return;
  showChanges(changed);
  for (const [id, note] of changed) showOpen(id, note);
}

/**
 * The note open (`id`) changed elsewhere (`note`; null: gone): shown, unless text typed in it is
 * not saved; then the text stays as typed, and saving it says what happened. `own`: a change this
 * page sent (`etag`: its answer's), under the text typed since.
 */
function showOpen(id, note, { etag = "", own = false } = {}) {
  if (state.openId !== id || state.screen !== "notes") return;
  const label = noteLabel(note || state.open?.note || {});
  if (!note) {
    if (isDirty(id)) {
      update({ conflict: { id, gone: true } });
      warn(`“${label}” was deleted on another device. Your text is still here.`);
    } else {
      dropDraft(id);
      update({ openId: null, open: null, confirming: "", conflict: null });
      app.setAddress(null);
      say(`“${label}” was deleted on another device.`);
    }
    return;
  }
  const open = state.open?.note;
  if (open && open.version >= note.version && !open.pending) return;
  if (own && isDirty(id)) {
    update({ open: { note, etag } });
    return;
  }
  if (isDirty(id)) {
    if (!state.conflict) say(`“${label}” was changed on another device. Your text is as you typed it: saving it says what to keep.`);
    return;
  }
  dropDraft(id);
  update({ open: { note, etag: etag || `"${note.version}"` } });
}

// --- the live connection -------------------------------------------------------------------

/** Opens the live connection; when it closes, again after a pause that grows to 30 s. */
async function connect() {
  clearTimeout(reconnect);
  const url = state.config?.wsUrl;
  if (stopped || !url || live || typeof WebSocket === "undefined") return;
  if (navigator.onLine === false) return; // the network's return connects
  let token;
  try {
    token = await app.token();
  } catch {
    token = "";
  }
  if (stopped || live) return;
  if (!token) return later();
  const socket = new WebSocket(url, ["notes", token]);
  live = socket;
  socket.onopen = () => {
    pause = 1;
    reached();
    keepalive = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), KEEPALIVE_MS);
    pull(); // what changed while it was closed
    flush();
  };
  socket.onmessage = (event) => {
    let message = null;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message?.type === "changes") pull();
  };
  socket.onclose = () => {
    clearInterval(keepalive);
    if (live === socket) live = null;
    later();
  };
}

function later() {
  if (stopped) return;
  clearTimeout(reconnect);
  reconnect = setTimeout(connect, pause * 1000);
  pause = Math.min(pause * 2, LONGEST_PAUSE_S);
}

addEventListener("online", () => {
  if (stopped) return;
  unreachable = false;
  showState();
  pause = 1;
  connect();
  // The list read from the device's copy is read from the API again, once the changes are sent.
  Promise.resolve(flush()).then(() => {
    if (!stopped && !offline() && state.listSource === "device") app.list().loadNotes(false);
  });
  pull();
});

addEventListener("offline", () => {
  if (stopped) return;
  showState();
  live?.close();
});
