// The signed-in screen: the list of notes and the note open, read (its content shown as Markdown,
// markdown.js, loaded the first time a note is read) or in the editor, with its attachment (an
// image shown in the note when it is read). Loaded by
// app.js at sign-in (a first visit, signed out, does without it) and drawn by screens.js's
// render() as the "notes" screen; like every screen it only reads the state, text as text.
// Above the list, finding notes: the search box, the tags as filters and the order; each note
// listed shows a line of its content, or in a search the snippet with the words found marked.
// What the trash view shows of a note, and the way a page asks first, are shared with trash.js;
// when a note changed, with account.js too. The note read offers its history (history.js, drawn in
// its place) and its link (sharing.js, a box below its heading); the list marks the notes shared.

import { h, replace } from "./dom.js";
import { found, sameTag } from "./notes-list.js";
import { fileSize, noteLabel } from "./screens.js";
import { editorFields, isDirty } from "./state.js";
import { madeHere } from "./sync.js";
import { MAX_QUERY_CHARS, marked, queryWords } from "./words.js";

// The views of the modules loaded the first time they are asked for (note-actions.js): each adds
// its own as it loads (history.js: `history`, sharing.js: `share`).
export const views = {};

/** True when note `id` has a live link, as far as this page knows (sharing.js reads them). */
export function isShared(state, id) {
  const link = state.shares?.[id];
  return Boolean(link) && Date.parse(link.expiresAt) > Date.now();
}

// The list (notes-list.js), for app.js: loaded with this screen.
export { addNote, insertNote, listActions, loadNotes, removeNote, replaceNote, showChanges, stopListing } from "./notes-list.js";

const PREVIEW_CHARS = 200;
// The attachments shown as images in the note read (their contentType).
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, "");
  return h("time", { datetime: iso }, date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
}

export function notesScreen(state, actions) {
  return h(
    "div",
    { class: "layout" },
    notesList(state, actions),
    !state.openId ? placeholder(state) : isReading(state) ? readerOrHistory(state, actions) : editor(state, actions),
  );
}

/** The note read, or its history (history.js) when it was asked for. */
function readerOrHistory(state, actions) {
  const history = state.history?.noteId === state.openId && state.open && views.history;
  return history ? history(state, actions) : reader(state, actions);
}

/** Whether the note open is read (its Markdown shown), not edited: it was opened to be read, and
 * has no text typed and not saved, nor a conflict. A new note is always in the editor. */
export function isReading(state) {
  const id = state.openId;
  return Boolean(id) && id !== "new" && state.reading === id && !isDirty(id) && state.conflict?.id !== id;
}

function notesList(state, actions) {
  const { search } = state;
  const prefixes = search.q ? queryWords(search.q) : [];
  const items = state.notes.map((note) => {
    const current = note.noteId === state.openId;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          id: `note-${note.noteId}`,
          class: "note-link",
          "aria-current": current ? "true" : null,
          on: { click: () => actions.openNote(note.noteId) },
        },
        h("span", { class: "note-title" }, noteLabel(note)),
        preview(note, prefixes),
        h(
          "span",
          { class: "note-meta" },
          when(note.updatedAt),
          note.tags?.length ? ` · ${note.tags.join(", ")}` : "",
          note.attachment ? " · 1 file" : "",
          isShared(state, note.noteId) ? h("span", { class: "shared-mark" }, " · Shared") : "",
          isDirty(note.noteId) ? " · unsaved changes" : "",
        ),
      ),
    );
  });
  const searching = Boolean(search.q || search.tag);
  let footer = null;
  if (state.listState === "loading") {
    const what = state.listMore ? "Loading more notes…" : searching ? "Searching…" : "Loading your notes…";
    footer = h("p", { class: "hint" }, what);
  } else if (state.listState === "error") {
    footer = h(
      "p",
      {},
      "Your notes could not be loaded. ",
      h("button", { type: "button", id: "retry-list", on: { click: actions.retryList } }, "Try again"),
    );
  } else if (state.listState === "loaded" && !state.notes.length && searching) {
    footer = h(
      "div",
      { class: "found-none" },
      h("p", {}, `No notes ${found(search, false)}.`),
      h("button", { type: "button", id: "show-all", class: "link", on: { click: actions.showAllNotes } }, "Show all notes"),
    );
  } else if (state.listState === "loaded" && !state.notes.length) {
    footer = h("p", { class: "hint" }, "No notes yet: choose “New note” to write one.");
  }
  return h(
    "section",
    { class: "list", "aria-labelledby": "notes-heading" },
    h(
      "div",
      { class: "list-head" },
      h("h1", { id: "notes-heading", tabindex: "-1" }, "Your notes"),
      h(
        "div",
        { class: "list-actions" },
        h("button", { type: "button", id: "new-note", class: "primary", on: { click: actions.newNote } }, "New note"),
        h("button", { type: "button", id: "go-trash", on: { click: actions.showTrash } }, "Trash"),
      ),
    ),
    finder(state, actions),
    tagFilters(state, actions),
    h("ul", { "aria-label": "Notes", class: "notes", "aria-busy": state.listState === "loading" ? "true" : null }, items),
    footer,
    // The next page of the list shown; not while another list is coming in its place.
    state.nextCursor && state.listState !== "error" && !(state.listState === "loading" && !state.listMore)
      ? h("button", { type: "button", id: "load-more", on: { click: actions.loadMore } }, "Load more")
      : null,
  );
}

// --- finding notes -------------------------------------------------------------------------

function finder(state, actions) {
  const typed = (event) => {
    if (!event.isComposing) actions.typeSearch(event.target.value);
  };
  return h(
    "div",
    { role: "search", class: "finder" },
    h("label", { for: "search", class: "visually-hidden" }, "Search notes"),
    h("input", {
      type: "search",
      id: "search",
      name: "q",
      placeholder: "Search notes",
      autocomplete: "off",
      spellcheck: "false",
      enterkeyhint: "search",
      maxlength: String(MAX_QUERY_CHARS),
      value: state.searchText,
      on: {
        input: typed,
        compositionend: typed,
        keydown: (event) => {
          if (event.key === "Escape" && event.target.value) {
            event.preventDefault();
            event.target.value = "";
            actions.clearSearch();
          } else if (event.key === "Enter") {
            actions.typeSearch(event.target.value, { now: true });
          }
        },
      },
    }),
    h(
      "div",
      { class: "sorting" },
      h("label", { for: "sort" }, "Sort"),
      h(
        "select",
        { id: "sort", name: "sort", on: { change: (event) => actions.sortBy(event.target.value) } },
        h("option", { value: "created", selected: state.search.sort !== "updated" }, "Newest first"),
        h("option", { value: "updated", selected: state.search.sort === "updated" }, "Recently changed"),
      ),
    ),
  );
}

/** The tags of the notes listed, each a button that lists only the notes carrying it (pressed). */
function tagFilters(state, actions) {
  const active = state.search.tag;
  const tags = active && !state.tags.some((tag) => sameTag(tag, active)) ? [active, ...state.tags] : state.tags;
  if (!tags.length) return null;
  return h(
    "div",
    { role: "group", class: "tag-filters", "aria-label": "Filter by tag" },
    tags.map((tag) =>
      h(
        "button",
        {
          type: "button",
          id: `tag-${encodeURIComponent(tag.toLowerCase())}`,
          class: "tag-filter",
          "aria-pressed": active && sameTag(active, tag) ? "true" : "false",
          on: { click: () => actions.filterByTag(tag) },
        },
        tag,
      ),
    ),
  );
}

/** One line of the note: the snippet of a search, its words found marked; else its content's start. */
function preview(note, prefixes) {
  const text = typeof note.snippet === "string" ? note.snippet : contentStart(note);
  return text ? h("span", { class: "note-preview" }, marked(text, prefixes)) : null;
}

/** The content's first characters on one line; without a title, after the line naming the note. */
export function contentStart(note) {
  const oneLine = (text) => text.replace(/\s+/gu, " ").trim();
  let text = oneLine((note.content || "").slice(0, 4 * PREVIEW_CHARS).replace(/[\ud800-\udbff]$/, ""));
  const label = oneLine(noteLabel(note));
  if (!(note.title || "").trim() && text.startsWith(label)) text = text.slice(label.length).trim();
  return [...text].slice(0, PREVIEW_CHARS).join("");
}

/** Offline, and the changes made offline that wait to be sent (sync.js), when there are. */
export function syncState(state) {
  if (!state.offline && !state.waiting) return null;
  const waiting = state.waiting === 1 ? "1 change waits to be sent" : `${state.waiting} changes wait to be sent`;
  const words = state.offline ? `Offline${state.waiting ? `: ${waiting}` : ""}` : `${waiting}…`;
  return h("span", { id: "sync-state", class: state.offline ? "sync offline" : "sync" }, words);
}

function placeholder(state) {
  return h(
    "section",
    { class: "editor empty", "aria-label": "Note" },
    h("p", {}, state.notes.length ? "Choose a note to read or edit it, or write a new one." : "Your notes will show here."),
  );
}

function loadingNote() {
  return h("section", { class: "editor", "aria-label": "Note", "aria-busy": "true" }, h("p", {}, "Loading the note…"));
}

/** The note read: its title, tags, content as Markdown and attachment (an image shown). */
function reader(state, actions) {
  const note = state.open?.note;
  if (!note) return loadingNote();
  return h(
    "section",
    { class: "editor reader", "aria-labelledby": "note-heading" },
    h(
      "div",
      { class: "note-head" },
      h("h2", { id: "note-heading", tabindex: "-1" }, noteLabel(note)),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "edit-note", class: "primary", on: { click: actions.editNote } }, "Edit"),
        h("button", { type: "button", id: "show-history", on: { click: actions.showHistory } }, "History"),
        h(
          "button",
          {
            type: "button",
            id: "share-note",
            "aria-expanded": String(state.sharing?.noteId === note.noteId),
            "aria-controls": state.sharing?.noteId === note.noteId ? "share" : null,
            on: { click: () => (state.sharing?.noteId === note.noteId ? actions.closeShare() : actions.showShare()) },
          },
          "Share",
        ),
        state.confirming === "delete" ? null : h("button", { type: "button", id: "delete", class: "danger", on: { click: actions.deleteNote } }, "Delete"),
      ),
    ),
    state.confirming === "delete" ? deleteConfirmation(actions, note) : null,
    state.sharing?.noteId === note.noteId && views.share ? views.share(state, actions, note) : null,
    note.tags?.length ? h("p", { class: "hint note-tags" }, `Tags: ${note.tags.join(", ")}`) : null,
    (note.content || "").trim() ? rendered(note.content) : h("p", { class: "hint" }, "No content."),
    attachment(state, actions, note, { preview: true }),
    meta(note, note.noteId),
  );
}

function meta(note, id) {
  return h(
    "p",
    { class: "hint meta" },
    note.pending ? "Saved on this device, not sent yet · last changed " : `Version ${note.version} · last changed `,
    when(note.updatedAt),
    isDirty(id) ? " · unsaved changes" : "",
  );
}

// --- Markdown ------------------------------------------------------------------------------

// The content of the notes read lately, rendered (markdown.js): a copy is drawn at each redraw.
const renderedKept = new Map();
const KEEP_RENDERED = 20;
const renderingNow = new Map(); // text → its rendering under way
let renderer = null; // markdown.js, loading or loaded
let rendererFailedAt = 0; // when it last failed to load: shown as written until a retry
const RETRY_RENDERER_MS = 10_000;

/** markdown.js and the libraries it loads, all asked for at once (none waits for the module that
 * imports it); again after a failure. */
function loadRenderer() {
  renderer ||= Promise.all([import("./markdown.js"), import("./vendor/marked.esm.js"), import("./vendor/purify.es.js")])
    .then(([module]) => module)
    .catch((error) => {
      renderer = null;
      rendererFailedAt = Date.now();
      throw error;
    });
  return renderer;
}

/** `text` as Markdown (the note read, a version of it: history.js); until it is rendered (the first time, while the renderer loads), and when
 * the renderer cannot load (offline before the page's files were kept), as it was written. */
export function rendered(text) {
  const kept = renderedKept.get(text);
  if (kept) return kept.cloneNode(true);
  const asWritten = h("div", { class: "markdown as-written" }, text);
  if (Date.now() - rendererFailedAt < RETRY_RENDERER_MS) return notRendered(asWritten);
  asWritten.setAttribute("aria-busy", "true");
  let rendering = renderingNow.get(text);
  if (!rendering) {
    rendering = loadRenderer()
      .then((module) => module.renderMarkdown(text))
      .then((element) => {
        renderedKept.delete(text);
        renderedKept.set(text, element);
        if (renderedKept.size > KEEP_RENDERED) renderedKept.delete(renderedKept.keys().next().value);
        return element;
      })
      .finally(() => renderingNow.delete(text));
    renderingNow.set(text, rendering);
  }
  rendering.then(
    (element) => asWritten.isConnected && asWritten.replaceWith(element.cloneNode(true)),
    () => asWritten.isConnected && asWritten.replaceWith(notRendered(asWritten.cloneNode(true))),
  );
  return asWritten;
}

function notRendered(asWritten) {
  asWritten.removeAttribute("aria-busy");
  return h(
    "div",
    {},
    h("p", { class: "hint" }, "Shown as written: the page could not load its Markdown renderer."),
    asWritten,
  );
}

// --- the editor ----------------------------------------------------------------------------

function editor(state, actions) {
  const id = state.openId;
  const isNew = id === "new";
  const fields = editorFields(id);
  const note = isNew ? null : state.open?.note;
  const edit = (name) => (event) => actions.edit(name, event.target.value);
  if (!isNew && !note) return loadingNote();
  return h(
    "section",
    { class: "editor", "aria-labelledby": "editor-heading" },
    h(
      "div",
      { class: "note-head" },
      h("h2", { id: "editor-heading", tabindex: "-1" }, isNew ? "New note, not saved yet" : "Edit note"),
      isNew
        ? null
        : h(
            "div",
            { class: "actions" },
            h("button", { type: "button", id: "read-note", on: { click: actions.readNote } }, "Read"),
            h("button", { type: "button", id: "show-history", on: { click: actions.showHistory } }, "History"),
          ),
    ),
    state.conflict?.id === id ? conflictBox(state, actions) : null,
    h(
      "form",
      {
        id: "editor-form",
        method: "post",
        novalidate: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            actions.save();
          },
        },
      },
      h(
        "div",
        { class: "field" },
        h("label", { for: "title" }, "Title"),
        h("input", { id: "title", name: "title", type: "text", value: fields.title, on: { input: edit("title") } }),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "content" }, "Content"),
        h("textarea", { id: "content", name: "content", rows: "10", value: fields.content, on: { input: edit("content") } }),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "tags" }, "Tags"),
        h("input", {
          id: "tags",
          name: "tags",
          type: "text",
          "aria-describedby": "tags-hint",
          value: fields.tags,
          on: { input: edit("tags") },
        }),
        h("p", { id: "tags-hint", class: "hint" }, "Comma-separated, such as: home, work"),
      ),
      state.confirming === "delete" ? deleteConfirmation(actions, note) : editorActions(state, actions),
    ),
    isNew ? h("p", { class: "hint" }, "Save the note to attach a file to it.") : attachment(state, actions, note),
    note ? meta(note, id) : null,
  );
}

function editorActions(state, actions) {
  return h(
    "div",
    { class: "actions" },
    h("button", { type: "submit", id: "save", class: "primary", "aria-busy": state.busy === "save" ? "true" : null }, "Save"),
    h("button", { type: "button", id: "delete", class: "danger", on: { click: actions.deleteNote } }, "Delete"),
  );
}

/** Asked only when deleting loses something the trash cannot bring back: text not saved. */
function deleteConfirmation(actions, note) {
  const ask = { name: "delete", yes: "Delete", onYes: actions.confirmAsked, onCancel: actions.cancelAsked };
  if (!note) return askFirst({ ...ask, question: "Discard this new note?", text: "This new note will be deleted. This cannot be undone." });
  const what = `“${noteLabel(note)}”${note.attachment ? " and its file" : ""}`;
  const text = `${what} will be moved to the trash, and the changes you have not saved will be lost.`;
  return askFirst({ ...ask, question: "Delete this note?", text });
}

/**
 * Asks before an action, in the place of the buttons that asked: `yes` (`onYes`) or Cancel
 * (`onCancel`, and Escape), as buttons `confirm-<name>` and `cancel-<name>`. One at a time.
 */
export function askFirst({ name, question, text, yes, onYes, onCancel }) {
  return h(
    "div",
    {
      role: "alertdialog",
      class: "confirm",
      "aria-labelledby": "confirm-heading",
      "aria-describedby": "confirm-text",
      on: { keydown: (event) => event.key === "Escape" && onCancel() },
    },
    h("h3", { id: "confirm-heading" }, question),
    h("p", { id: "confirm-text" }, text),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: `confirm-${name}`, class: "danger", on: { click: onYes } }, yes),
      h("button", { type: "button", id: `cancel-${name}`, on: { click: onCancel } }, "Cancel"),
    ),
  );
}

function conflictBox(state, actions) {
  // What happened is said once, in the alert (app.js); the box holds what can be done about it.
  if (state.conflict.gone) {
    return h(
      "div",
      { class: "conflict", role: "group", "aria-labelledby": "conflict-heading" },
      h("h3", { id: "conflict-heading", tabindex: "-1" }, "Deleted elsewhere"),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "save-as-new", on: { click: actions.saveAsNew } }, "Save as a new note"),
      ),
    );
  }
  return h(
    "div",
    { class: "conflict", role: "group", "aria-labelledby": "conflict-heading" },
    h("h3", { id: "conflict-heading", tabindex: "-1" }, "Changed elsewhere"),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "keep-mine", on: { click: actions.keepMine } }, "Keep my text"),
      h("button", { type: "button", id: "reload-note", on: { click: actions.reloadNote } }, "Reload the note"),
    ),
    h(
      "p",
      { class: "hint" },
      "Keep my text, then Save, to replace the other version with yours. Reload the note to see the other version: your changes are then dropped.",
    ),
  );
}

function attachment(state, actions, note, { preview = false } = {}) {
  const file = note?.attachment;
  const max = fileSize(state.config.maxAttachmentBytes);
  return h(
    "section",
    { class: "attachment", "aria-labelledby": "attachment-heading" },
    h("h3", { id: "attachment-heading" }, "Attachment"),
    preview && file ? imagePreview(state, actions, note, file) : null,
    file
      ? h(
          "p",
          { class: "file" },
          h("span", { class: "file-name" }, file.name),
          ` (${fileSize(file.size)}, ${file.contentType})`,
        )
      : h("p", { class: "hint" }, "No file attached."),
    attachmentActionsNow(state, actions, note, file),
    h(
      "p",
      { id: "attach-hint", class: "hint" },
      file ? `One file per note, up to ${max}: a file attached replaces “${file.name}”.` : `One file per note, up to ${max}.`,
    ),
    h("input", {
      type: "file",
      id: "file",
      hidden: true,
      tabindex: "-1",
      "aria-label": "File to attach",
      on: { change: actions.fileChosen },
    }),
    state.upload ? progress(state.upload) : null,
  );
}

/** An attached image (PNG, JPEG, GIF, WebP), shown from its download address; not offline, where
 * attachments are not available. */
function imagePreview(state, actions, note, file) {
  if (!IMAGE_TYPES.has(String(file.contentType).toLowerCase()) || state.offline || madeHere(note.noteId)) return null;
  const figure = h("figure", { class: "preview" });
  const show = (url) => {
    figure.removeAttribute("aria-busy");
    if (!url) {
      replace(figure, h("p", { class: "hint" }, "The image could not be shown: download it instead."));
      return;
    }
    const failed = () => {
      actions.forgetPreview(note);
      replace(figure, h("p", { class: "hint" }, "The image could not be shown: download it instead."));
    };
    replace(figure, h("img", { src: url, alt: file.name, on: { error: failed } }));
  };
  const url = actions.previewUrl(note);
  if (url) {
    show(url);
  } else {
    figure.setAttribute("aria-busy", "true");
    replace(figure, h("p", { class: "hint" }, "Loading the image…"));
    actions.loadPreview(note).then((found) => figure.isConnected && show(found));
  }
  return figure;
}

/** What can be done with the file now: nothing offline, nor before a note made offline is sent. */
function attachmentActionsNow(state, actions, note, file) {
  if (state.offline) return h("p", { id: "files-offline", class: "hint" }, "Attachments are not available offline.");
  if (madeHere(note.noteId)) return h("p", { class: "hint" }, "A file can be attached once this note is sent.");
  return file && state.confirming === "remove" ? removeConfirmation(actions, file) : attachmentActions(actions, file);
}

function attachmentActions(actions, file) {
  return h(
    "div",
    { class: "actions" },
    file ? h("button", { type: "button", id: "download", on: { click: actions.download } }, "Download") : null,
    h(
      "button",
      { type: "button", id: "attach", "aria-describedby": "attach-hint", on: { click: actions.pickFile } },
      "Attach file",
    ),
    file
      ? h("button", { type: "button", id: "remove-attachment", on: { click: () => actions.ask("remove") } }, "Remove attachment")
      : null,
  );
}

function removeConfirmation(actions, file) {
  return askFirst({
    name: "remove",
    question: "Remove the attachment?",
    text: `“${file.name}” will be removed from this note and deleted. This cannot be undone.`,
    yes: "Remove",
    onYes: actions.confirmAsked,
    onCancel: actions.cancelAsked,
  });
}

function progress(upload) {
  const percent = upload.total ? Math.floor((upload.loaded / upload.total) * 100) : 0;
  return h(
    "div",
    { class: "progress" },
    h("label", { for: "upload-progress" }, `Uploading ${upload.name}`),
    h("progress", { id: "upload-progress", max: "100", value: String(percent) }, `${percent}%`),
    h("span", { id: "upload-percent", "aria-hidden": "true" }, `${percent}%`),
  );
}

