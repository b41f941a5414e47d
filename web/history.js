// A note's history, signed in: "History" on the note open lists its earlier versions (GET
// /notes/{id}/versions, newest first, a page at a time), each with the time it was written, its
// title and size; one chosen is shown as it was, read-only, its Markdown rendered as the note read
// is (notes-screen.js's rendered()); "Restore this version" makes it the note's text again, with
// If-Match of the version the page holds. A note changed elsewhere meanwhile (412) is said in
// words, with a way to reload it. Drawn in the place of the note read (notes-screen.js), never
// over text typed and not saved: History refuses then, as Read does. It needs the network, and
// says so offline. Loaded by note-actions.js when History is first asked for: it adds its view to
// notes-screen.js's views, which draws it.
//
// state.history: null, or { noteId, versions, nextCursor, listState (loading | loaded | error),
// listMore, viewing: null or { version, note (null until read), failed }, changed (a 412 met) }.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { rendered, views, when } from "./notes-screen.js";
import { clearMessages, fileSize, noteLabel, say, warn } from "./screens.js";
import { busy, isDirty, state, update } from "./state.js";

const PAGE_SIZE = 20;

// app.js's wiring: { api(), list(), sync(), failed }
let app = null;
let asking = 0; // the latest request of the history: the answer to an earlier one is dropped

/** The actions of the history view, reaching the API through `wiring`. */
export function historyActions(wiring) {
  app = wiring;
  return actions;
}

const actions = {
  /** The history of the note open, in the place of the note read (first page of versions). */
  showHistory() {
    const id = state.openId;
    if (!id || id === "new" || !state.open) return;
    if (isDirty(id)) {
      warn("This note has changes not saved: save them to see its history.");
      return;
    }
    if (!reachable(id)) return;
    clearMessages();
    update({ reading: id, confirming: "", sharing: null, history: fresh(id), focus: "history-heading" });
    return loadVersions(false);
  },

  /** Back to the note read, with the versions forgotten (read again next time). */
  closeHistory() {
    asking += 1;
    update({ history: null, focus: "show-history" });
  },

  moreVersions() {
    return loadVersions(true);
  },

  retryVersions() {
    return loadVersions(state.history?.listMore || false);
  },

  /** One version, as it was: its text read and shown, read-only. */
  async viewVersion(version) {
    const shown = state.history;
    if (!shown || !reachable(shown.noteId)) return;
    const asked = ++asking;
    clearMessages();
    update({ history: { ...shown, viewing: { version, note: null, failed: false }, changed: false }, focus: "version-heading" });
    try {
      const note = await app.api().version(shown.noteId, version);
      if (asked !== asking || state.history?.noteId !== shown.noteId) return;
      update({ history: { ...state.history, viewing: { version, note, failed: false } } });
    } catch (error) {
      if (asked !== asking || state.history?.noteId !== shown.noteId) return;
      update({ history: { ...state.history, viewing: { version, note: null, failed: true } } });
      failed(error, `Version ${version} could not be read:`);
    }
  },

  /** Back to the list of versions, at the one shown. */
  backToVersions() {
    const shown = state.history;
    if (!shown) return;
    asking += 1;
    clearMessages();
    const version = shown.viewing?.version;
    update({ history: { ...shown, viewing: null, changed: false }, focus: version ? `version-${version}` : "history-heading" });
    if (shown.listState === "loading") loadVersions(shown.listMore);
  },

  /** The version shown becomes the note's text, if the note is still the version the page holds. */
  restoreVersion() {
    const shown = state.history;
    const version = shown?.viewing?.note?.version;
    if (!version || !state.open || state.openId !== shown.noteId) return;
    return busy("restore", () => restore(shown.noteId, version));
  },

  /** After a 412: the note as it is now, read again; the version shown stays, to restore again. */
  async reloadBeforeRestore() {
    const id = state.history?.noteId;
    if (!id || !reachable(id)) return;
    try {
      const latest = await app.api().getNote(id);
      app.list().replaceNote(latest.note);
      if (state.openId !== id) return;
      update({ open: latest, history: state.history && { ...state.history, changed: false }, focus: "restore-version" });
      say(`The note is reloaded: it is now version ${latest.note.version}. Restore this version again to replace it.`);
    } catch (error) {
      failed(error, "The note could not be reloaded:");
    }
  },
};

function fresh(noteId) {
  return { noteId, versions: [], nextCursor: null, listState: "loading", listMore: false, viewing: null, changed: false };
}

/** History needs the network, and a note the API has: otherwise the page says so (false). */
function reachable(id) {
  const device = app.sync();
  if (device?.madeHere(id)) {
    warn("This note was made offline and is not sent yet: it has a history once it is sent.");
    return false;
  }
  if (state.offline || device?.offline()) {
    warn("History needs the network: you are offline. See this note's history once you are back online.");
    return false;
  }
  if (device?.pending(id)) {
    warn("This note has a change waiting to be sent: see its history once it is sent.");
    return false;
  }
  return true;
}

/** Says what failed: offline in words of its own, anything else as the page says failures. */
function failed(error, context) {
  if (error instanceof ApiError && error.kind === "unreachable") {
    warn(`${context} history needs the network, and the notes service cannot be reached. Try again once you are back online.`);
    return;
  }
  app.failed(error, context);
}

/** A page of the versions (`more`: the next one, after those shown). */
async function loadVersions(more) {
  const shown = state.history;
  if (!shown || (more && !shown.nextCursor)) return;
  const asked = ++asking;
  update({ history: { ...shown, listState: "loading", listMore: more } });
  try {
    const page = await app.api().versions(shown.noteId, more ? shown.nextCursor : null, PAGE_SIZE);
    if (asked !== asking || state.history?.noteId !== shown.noteId) return;
    const versions = more ? [...state.history.versions, ...page.versions] : page.versions;
    update({ history: { ...state.history, versions, nextCursor: page.nextCursor, listState: "loaded" } });
    if (more && page.versions.length) {
      update({ focus: `version-${page.versions[0].version}` });
      say(`${page.versions.length} more ${page.versions.length === 1 ? "version" : "versions"} shown.`);
    }
  } catch (error) {
    if (asked !== asking || state.history?.noteId !== shown.noteId) return;
    update({ history: { ...state.history, listState: "error" } });
    failed(error, "The versions could not be loaded:");
  }
}

async function restore(id, version) {
  const etag = state.open.etag;
  say(`Restoring version ${version}…`);
  try {
    const restored = await app.api().restoreVersion(id, version, etag);
    app.list().replaceNote(restored.note);
    if (state.openId === id) {
      asking += 1;
      update({ open: restored, reading: id, history: null, focus: "note-heading" });
    }
    say(`Version ${version} is restored: the note is now version ${restored.note.version}, and the text it had is kept in its history.`);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "conflict") {
      if (state.history?.noteId === id) update({ history: { ...state.history, changed: true }, focus: "history-changed" });
      warn(`This note was changed elsewhere since you opened it, so version ${version} was not restored. Reload the note to see it as it is now, then restore this version again if you still want it.`);
      return;
    }
    if (error instanceof ApiError && error.kind === "notfound") {
      warn(`Version ${version} was not restored: it is no longer kept, or the note was deleted elsewhere.`);
      return;
    }
    failed(error, `Version ${version} was not restored:`);
  }
}

// --- drawing -------------------------------------------------------------------------------

/** The history of the note open, in the place of the note read. */
export function historyView(state, actions) {
  const shown = state.history;
  const note = state.open?.note;
  const label = note ? noteLabel(note) : "this note";
  return h(
    "section",
    { class: "editor history", "aria-labelledby": "history-heading" },
    h(
      "div",
      { class: "note-head" },
      h("h2", { id: "history-heading", tabindex: "-1" }, `History of “${label}”`),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "close-history", on: { click: actions.closeHistory } }, "Back to the note"),
      ),
    ),
    note ? h("p", { class: "hint" }, `Now: version ${note.version}, last changed `, when(note.updatedAt), ".") : null,
    shown.viewing ? versionShown(state, actions, shown) : versionList(shown, actions),
  );
}

function versionList(shown, actions) {
  const items = shown.versions.map((version) =>
    h(
      "li",
      {},
      h(
        "button",
        { type: "button", id: `version-${version.version}`, class: "note-link", on: { click: () => actions.viewVersion(version.version) } },
        h("span", { class: "note-title" }, `Version ${version.version}`, version.title ? ` · ${version.title}` : ""),
        h("span", { class: "note-meta" }, when(version.updatedAt), ` · ${fileSize(version.size)}`),
      ),
    ),
  );
  let footer = null;
  if (shown.listState === "loading") {
    footer = h("p", { class: "hint" }, shown.listMore ? "Loading more versions…" : "Loading the versions…");
  } else if (shown.listState === "error") {
    footer = h(
      "p",
      {},
      "The versions could not be loaded. ",
      h("button", { type: "button", id: "retry-versions", on: { click: actions.retryVersions } }, "Try again"),
    );
  } else if (!shown.versions.length) {
    footer = h(
      "p",
      { class: "hint" },
      "No earlier versions: this note's text has not changed since it was written (a change shows here within a few seconds).",
    );
  }
  return [
    h("h3", { id: "versions-heading" }, "Earlier versions, newest first"),
    h(
      "ol",
      { class: "notes versions", "aria-labelledby": "versions-heading", "aria-busy": shown.listState === "loading" ? "true" : null },
      items,
    ),
    footer,
    shown.nextCursor && shown.listState === "loaded"
      ? h("button", { type: "button", id: "more-versions", on: { click: actions.moreVersions } }, "Load more versions")
      : null,
  ];
}

/** One version, as it was: its title, tags and content (Markdown), and the way to restore it. */
function versionShown(state, actions, shown) {
  const { version, note, failed: unread } = shown.viewing;
  const head = h(
    "div",
    { class: "note-head" },
    h("h3", { id: "version-heading", tabindex: "-1" }, `Version ${version}`),
    h("button", { type: "button", id: "back-to-versions", on: { click: actions.backToVersions } }, "Back to the versions"),
  );
  if (!note) {
    const words = unread ? "This version could not be read." : "Loading the version…";
    return h("div", { class: "version", "aria-busy": unread ? null : "true" }, head, h("p", { class: "hint" }, words));
  }
  return h(
    "div",
    { class: "version" },
    head,
    h("p", { class: "hint" }, "As it was written on ", when(note.updatedAt), ". Read-only."),
    h("p", { class: "version-title" }, h("span", { class: "hint" }, "Title: "), note.title || "(none)"),
    note.tags?.length ? h("p", { class: "hint note-tags" }, `Tags: ${note.tags.join(", ")}`) : null,
    (note.content || "").trim() ? rendered(note.content) : h("p", { class: "hint" }, "No content."),
    shown.changed ? changedBox(actions) : null,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          id: "restore-version",
          class: "primary",
          "aria-describedby": "restore-hint",
          "aria-busy": state.busy === "restore" ? "true" : null,
          on: { click: actions.restoreVersion },
        },
        "Restore this version",
      ),
    ),
    h(
      "p",
      { id: "restore-hint", class: "hint" },
      "The note's title, content and tags become this version's; the text it has now is kept in its history, and its file stays as it is.",
    ),
  );
}

function changedBox(actions) {
  return h(
    "div",
    { class: "conflict", role: "group", "aria-labelledby": "history-changed" },
    h("h4", { id: "history-changed", tabindex: "-1" }, "Changed elsewhere"),
    h("p", {}, "The note was changed elsewhere since you opened it, so this version was not restored."),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "reload-before-restore", on: { click: actions.reloadBeforeRestore } }, "Reload the note"),
    ),
  );
}

views.history = historyView;
