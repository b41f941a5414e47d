// The trash, signed in: a deleted note is kept there 30 days. Delete moves the note open to the
// trash at once, its news offering Undo (which brings it back where it was in the list); the trash
// view lists what is there, with Restore and Delete forever. Loaded by app.js at sign-in with
// notes-screen.js (a first visit does without it); app.js adds the actions below to its own and
// draws `screens` as screens.js draws the others: they only read the state, text as text, and
// what a person does goes to an action, which changes the state through state.js.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { askFirst, contentStart, when } from "./notes-screen.js";
import { backHeading, clearMessages, noteLabel, say, warn } from "./screens.js";
import { dropDraft, isDirty, state, update } from "./state.js";

const PAGE_SIZE = 20;

// app.js's wiring: { api(), list(), failed, conflictOrFailure, setAddress }
let app = null;
let trashListing = 0; // the latest listing of the trash asked for: the answer to an earlier one is dropped
let notesStale = false; // a note came back from the trash: the list is read again on the way back
let undoing = false;

/** The screens this module draws, by name (screens.js's render). */
export const screens = { trash: trashScreen };

/** Signed out: no listing is waited for any more. */
export function stop() {
  trashListing += 1;
  notesStale = false;
}

/** Back to the notes: a listing of the trash under way is dropped. True when a note came back
 * from the trash meanwhile, so that the list is read again. */
export function leave() {
  const stale = notesStale;
  stop();
  return stale;
}

/** Moves the note open (`id`) to the trash; the news offers Undo, which brings it back where it
 * was in the list. A later message takes the place of the button. */
export async function moveToTrash(id) {
  const note = state.open.note;
  const where = { index: state.notes.findIndex((n) => n.noteId === id), search: state.search };
  const label = noteLabel(note);
  const etag = state.drafts[id]?.etag || state.open.etag;
  const device = app.sync();
  if (device?.keptHere(id)) return deleteOnDevice(device, id, etag, label);
  say("Moving to the trash…");
  try {
    await app.api().deleteNote(id, etag);
    dropDraft(id);
    app.list().removeNote(id, { openId: null, open: null, confirming: "", conflict: null, focus: "new-note" });
    app.setAddress(null);
    say(`Moved to the trash: “${label}”.`);
    const undo = h("button", { type: "button", id: "undo", class: "undo", on: { click: () => undoDelete(id, label, where) } }, "Undo");
    document.getElementById("status").append(" ", undo);
  } catch (error) {
    update({ confirming: "" });
    if (error.kind === "unreachable" && device) {
      return deleteOnDevice(device, id, etag, label);
    }
    app.conflictOrFailure(error, id, "The note was not moved to the trash:", "delete");
  }
}

/** Offline: the note deleted on this device (sync.js); it goes to the trash when the network returns. */
async function deleteOnDevice(device, id, etag, label) {
  await device.keepWrite("delete", id, null, etag, state.open?.note);
  dropDraft(id);
  app.list().removeNote(id, { openId: null, open: null, confirming: "", conflict: null, focus: "new-note" });
  app.setAddress(null);
  if (device.madeHere(id)) say(`Deleted: “${label}”.`); // it was never sent
  else if (device.offline()) say(`Deleted on this device: “${label}” goes to the trash when you are back online.`);
  else say(`Moved to the trash: “${label}”.`);
  if (!device.offline()) device.flush();
}

export function trashActions(wiring) {
  app = wiring;
  return {
    /** Delete: the note goes to the trash at once (Undo brings it back); asked first only when
     * text not saved would be lost (a new note, or changes). */
    deleteNote() {
      const id = state.openId;
      if (!id || (id !== "new" && !state.open) || state.busy) return;
      if (id === "new" || isDirty(id)) {
        update({ confirming: "delete", focus: "cancel-delete" });
        return;
      }
      update({ busy: "delete" });
      return moveToTrash(id).finally(() => update({ busy: "" }));
    },

    showTrash() {
      clearMessages();
      update({
        screen: "trash",
        confirming: "",
        trash: { notes: [], nextCursor: null, listState: "idle", listMore: false },
        focus: "trash-heading",
      });
      app.setAddress("trash");
      return loadTrash(false);
    },

    loadMoreTrash() {
      return loadTrash(true);
    },

    retryTrash() {
      clearMessages();
      return loadTrash(state.trash?.listMore);
    },

    restore(id) {
      return restore(id);
    },

    askPurge(id) {
      update({ confirming: `purge:${id}`, focus: "cancel-purge" });
    },

    cancelPurge(id) {
      update({ confirming: "", focus: `purge-${id}` });
    },

    purge(id) {
      return purge(id);
    },
  };
}

async function undoDelete(id, label, where) {
  if (undoing) return;
  undoing = true;
  say(`Bringing back “${label}”…`);
  try {
    const restored = await app.api().restoreNote(id);
    putBack(restored, where);
    say(`“${label}” is back in your notes.`);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "notfound") {
      warn(`“${label}” is no longer in the trash: it was restored or deleted for good elsewhere.`);
    } else {
      app.failed(error, "The note was not brought back:");
    }
    if (state.screen === "notes") update({ focus: "new-note" }); // Undo, focused, is gone
  } finally {
    undoing = false;
  }
}

/** A note back from Undo: where it was in the list (the same list still shown), opened again if
 * no other note is open; else the list is read again. */
function putBack(restored, where) {
  const id = restored.note.noteId;
  if (state.screen !== "notes") {
    notesStale = true;
    return;
  }
  const same = ["q", "tag", "sort"].every((name) => where.search[name] === state.search[name]);
  if (!same || where.index < 0) {
    app.list().loadNotes(false);
    return;
  }
  const open = state.openId ? {} : { openId: id, open: restored, conflict: null };
  app.list().insertNote(restored.note, where.index, { ...open, focus: `note-${id}` });
  if (open.openId) app.setAddress(id);
}

async function loadTrash(more) {
  const api = app?.api();
  const trash = state.trash;
  if (!api || !trash || (more && trash.listState === "loading")) return;
  const asked = ++trashListing;
  update({ trash: { ...trash, listState: "loading", listMore: more } });
  try {
    const page = await api.listTrash(more ? trash.nextCursor : null, PAGE_SIZE);
    if (asked !== trashListing || !state.trash) return;
    const known = new Set(more ? state.trash.notes.map((n) => n.noteId) : []);
    const fresh = page.notes.filter((n) => !known.has(n.noteId));
    update({
      trash: {
        notes: more ? [...state.trash.notes, ...fresh] : fresh,
        nextCursor: page.nextCursor,
        listState: "loaded",
        listMore: false,
      },
      ...(more && fresh.length ? { focus: `restore-${fresh[0].noteId}` } : {}),
    });
    if (more) say(`${fresh.length} more ${fresh.length === 1 ? "note" : "notes"} shown.`);
  } catch (error) {
    if (asked !== trashListing) return;
    if (state.trash) update({ trash: { ...state.trash, listState: "error" } });
    app.failed(error, "The trash could not be loaded:");
  }
}

/** Out of the trash view; focus goes to the next note's Restore (or the one before, or the heading). */
function dropFromTrash(id) {
  if (!state.trash) return; // the view was left meanwhile
  const notes = state.trash.notes;
  const index = notes.findIndex((n) => n.noteId === id);
  const rest = notes.filter((n) => n.noteId !== id);
  const next = rest[Math.min(index, rest.length - 1)];
  update({
    trash: { ...state.trash, notes: rest },
    confirming: "",
    focus: next ? `restore-${next.noteId}` : "trash-heading",
  });
}

function trashed(id) {
  return (state.trash?.notes || []).find((n) => n.noteId === id);
}

async function restore(id) {
  const note = trashed(id);
  if (!note || state.busy) return;
  const label = noteLabel(note);
  update({ busy: `restore:${id}` });
  say(`Restoring “${label}”…`);
  try {
    await app.api().restoreNote(id);
    notesStale = true;
    dropFromTrash(id);
    say(`“${label}” is back in your notes.`);
  } catch (error) {
    gone(error, id, label) || app.failed(error, `“${label}” was not restored:`);
  } finally {
    update({ busy: "" });
  }
}

async function purge(id) {
  const note = trashed(id);
  if (!note || state.busy) return;
  const label = noteLabel(note);
  update({ busy: "purge" });
  say(`Deleting “${label}” for good…`);
  try {
    await app.api().purgeNote(id);
    dropFromTrash(id);
    say(`“${label}” is deleted for good.`);
  } catch (error) {
    update({ confirming: "" });
    gone(error, id, label) || app.failed(error, `“${label}” was not deleted:`);
  } finally {
    update({ busy: "" });
  }
}

/** A note no longer in the trash (restored or deleted elsewhere, or its 30 days over): said, and
 * out of the view; true then. */
function gone(error, id, label) {
  if (!(error instanceof ApiError && error.kind === "notfound")) return false;
  dropFromTrash(id);
  warn(`“${label}” is no longer in the trash: it was restored or deleted for good elsewhere.`);
  return true;
}

function trashScreen(state, actions) {
  const trash = state.trash || { notes: [], listState: "idle" };
  let footer = null;
  if (trash.listState === "loading") {
    footer = h("p", { class: "hint" }, trash.listMore ? "Loading more of the trash…" : "Loading the trash…");
  } else if (trash.listState === "error") {
    footer = h(
      "p",
      {},
      "The trash could not be loaded. ",
      h("button", { type: "button", id: "retry-trash", on: { click: actions.retryTrash } }, "Try again"),
    );
  } else if (trash.listState === "loaded" && !trash.notes.length) {
    footer = h("p", { class: "trash-empty" }, "The trash is empty.");
  }
  return h(
    "div",
    { class: "your-data" },
    h(
      "section",
      { class: "panel", "aria-labelledby": "trash-heading" },
      backHeading("trash-heading", "Trash", actions),
      h(
        "p",
        { class: "hint" },
        "A deleted note stays here for 30 days, then it is deleted for good. Restore it to have it back in your notes.",
      ),
      h(
        "ul",
        { class: "trash", "aria-label": "Notes in the trash", "aria-busy": trash.listState === "loading" ? "true" : null },
        trash.notes.map((note) => trashedNote(state, actions, note)),
      ),
      footer,
      trash.nextCursor && trash.listState !== "error" && !(trash.listState === "loading" && !trash.listMore)
        ? h("button", { type: "button", id: "trash-more", on: { click: actions.loadMoreTrash } }, "Load more")
        : null,
    ),
  );
}

function trashedNote(state, actions, note) {
  const id = note.noteId;
  const title = `trashed-${id}`;
  const preview = contentStart(note);
  return h(
    "li",
    { class: "trashed" },
    h("h2", { id: title, class: "trashed-title" }, noteLabel(note)),
    preview ? h("p", { class: "note-preview" }, preview) : null,
    h(
      "p",
      { class: "note-meta" },
      "Deleted ",
      when(note.deletedAt),
      ", deleted for good on ",
      day(note.purgeAt),
      note.attachment ? " · 1 file" : "",
    ),
    state.confirming === `purge:${id}`
      ? askFirst({
          name: "purge",
          question: "Delete this note forever?",
          text: `“${noteLabel(note)}”${note.attachment ? " and its file" : ""} will be deleted for good. This cannot be undone.`,
          yes: "Delete forever",
          onYes: () => actions.purge(id),
          onCancel: () => actions.cancelPurge(id),
        })
      : h(
          "div",
          { class: "actions" },
          h(
            "button",
            {
              type: "button",
              id: `restore-${id}`,
              "aria-describedby": title,
              "aria-busy": state.busy === `restore:${id}` ? "true" : null,
              on: { click: () => actions.restore(id) },
            },
            "Restore",
          ),
          h(
            "button",
            { type: "button", id: `purge-${id}`, class: "danger", "aria-describedby": title, on: { click: () => actions.askPurge(id) } },
            "Delete forever",
          ),
        ),
  );
}

function day(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return h("time", { datetime: iso }, date.toLocaleDateString(undefined, { dateStyle: "medium" }));
}
