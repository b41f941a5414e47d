// What a person does with a note, signed in: a new note, opening one (to read it: its Markdown
// shown; Edit opens the editor, Read goes back), typing, saving (and the ways out of a conflict:
// save as new, keep mine, reload), deleting (asked first only when text would be lost; the trash
// itself is trash.js's) and its attachment (attach, download, remove, an image's preview). Loaded
// by app.js at sign-in with notes-screen.js, which draws the note open (a first visit does
// without them); app.js adds the actions below to its own, with those of the note's history
// (history.js) and its link (sharing.js), each module loaded the first time one of its actions is
// taken (a sign-in loads neither). Typed text is kept as a draft (state.js) until it is
// saved: a conflict or a failure never loses it.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { clearMessages, fileSize, noteLabel, notDone, say, showProgress, warn } from "./screens.js";
import {
  busy,
  carryDraftForward,
  dropDraft,
  editField,
  editorFields,
  isDirty,
  keepTypedSince,
  parseTags,
  rebaseDraft,
  state,
  update,
  uploadProgress,
} from "./state.js";

// app.js's wiring: { api(), list(): notes-list.js's, sync(), failed, setAddress, moveToTrash }
let app = null;
let later = null; // the actions of history.js and sharing.js, each loaded when first taken

/** The actions on the note open (its history and its link too), reaching the API and the list
 * through `wiring`. */
export function noteActions(wiring) {
  app = wiring;
  later = laterActions();
  return { ...actions, ...later };
}

/** The address of an attachment's `link` (GET /notes/{id}/attachment), a web address (http,
 * https); anything else throws. */
function webAddress(link) {
  const url = new URL(link.url);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("the download address is not a web address.");
  return url.href;
}

// The actions of the modules loaded when first needed: the module, its function that makes them,
// and their names.
const LATER = [
  ["./history.js", "historyActions", ["showHistory", "closeHistory", "moreVersions", "retryVersions",
    "viewVersion", "backToVersions", "restoreVersion", "reloadBeforeRestore"]],
  ["./sharing.js", "sharingActions", ["showShare", "closeShare", "shareDays", "makeLink", "copyLink",
    "stopSharing", "followShares"]],
];

const loading = {};

/** The module `file` of LATER, loaded once (again after a failure); its actions. */
function loadLater(file) {
  const [, maker] = LATER.find(([name]) => name === file);
  loading[file] ||= import(file)
    .then((module) => module[maker](app))
    .catch((error) => {
      delete loading[file];
      throw error;
    });
  return loading[file];
}

/** Each action of LATER: its module loaded the first time (again after a failure, which is said),
 * then the action taken. */
function laterActions() {
  const made = {};
  for (const [file, , names] of LATER) {
    for (const name of names) {
      made[name] = async (...args) => {
        let loaded;
        try {
          loaded = await loadLater(file);
        } catch {
          const offline = navigator.onLine === false ? "you are offline" : "reload it";
          warn(`The page could not load ${file.slice(2)}: ${offline}.`);
          return;
        }
        return loaded[name](...args);
      };
    }
  }
  return made;
}

const actions = {
  /** Once the first page of notes is shown: the notes' changes followed (sync.js), and a moment
   * later the marks of the shared notes read (sharing.js). */
  afterFirstPage() {
    app.sync().follow();
    loadLater("./history.js").catch(() => {}); // ready before the network may go
    return later.followShares();
  },

  newNote() {
    clearMessages();
    update({ openId: "new", open: null, confirming: "", conflict: null, history: null, sharing: null, focus: "title" });
    app.setAddress("new");
  },

  openNote(id) {
    return openNote(id);
  },

  /** The note read goes into the editor. */
  editNote() {
    if (!state.openId || state.openId === "new") return;
    update({ reading: null, history: null, sharing: null, focus: "title" });
  },

  /** The note in the editor is read again, as saved; text not saved stays in the editor. */
  readNote() {
    const id = state.openId;
    if (!id || id === "new" || !state.open) return;
    if (isDirty(id)) {
      warn("This note has changes not saved: save them to read it.");
      return;
    }
    clearMessages();
    update({ reading: id, focus: "note-heading" });
  },

  /** The address of the open note's image (its attachment), when one is at hand and fresh. */
  previewUrl(note) {
    const kept = previews.get(previewKey(note));
    return kept?.url && Date.now() < kept.until ? kept.url : null;
  },

  /** The address of the note's image, asked of the API (once at a time); null when it cannot be had. */
  loadPreview(note) {
    const key = previewKey(note);
    const kept = previews.get(key);
    if (kept?.asking) return kept.asking;
    const asking = app
      .api()
      .attachmentLink(note.noteId)
      .then((link) => {
        const url = webAddress(link);
        // Kept until a minute before it expires.
        const until = Math.min(Date.parse(link.expiresAt) || 0, Date.now() + PREVIEW_MS) - 60_000;
        previews.set(key, { url, until });
        return url;
      })
      .catch(() => {
        previews.delete(key);
        return null;
      });
    previews.set(key, { asking });
    return asking;
  },

  /** The preview's address did not give an image (expired, gone): asked again next time. */
  forgetPreview(note) {
    previews.delete(previewKey(note));
  },

  edit(name, value) {
    if (!state.openId) return;
    editField(state.openId, name, value);
  },

  save() {
    const id = state.openId;
    if (!id || (id !== "new" && !state.open)) return;
    return busy("save", () => save(id));
  },

  async saveAsNew() {
    const id = state.conflict?.id;
    if (!id) return;
    return busy("save", async () => {
      const sent = editorFields(id);
      say("Saving as a new note…");
      try {
        const created = await app.api().createNote(fieldsOf(sent));
        dropDraft(id);
        app.list().removeNote(id);
        app.list().addNote(created.note, { openId: created.note.noteId, open: created, conflict: null, focus: "title" });
        app.setAddress(created.note.noteId);
        say("Saved as a new note.");
      } catch (error) {
        app.failed(error, "The note was not saved:");
      }
    });
  },

  async keepMine() {
    const id = state.conflict?.id;
    if (!id) return;
    try {
      const latest = await app.api().getNote(id);
      rebaseDraft(id, latest.etag); // the next Save replaces this version with the text kept
      app.list().replaceNote(latest.note);
      update({ open: latest, conflict: null, focus: "save" });
      say("Your text is kept. Save to replace the version saved elsewhere with yours.");
    } catch (error) {
      conflictOrFailure(error, id, "The latest version could not be read:");
    }
  },

  async reloadNote() {
    const id = state.conflict?.id || state.openId;
    try {
      const latest = await app.api().getNote(id);
      dropDraft(id);
      app.list().replaceNote(latest.note);
      update({ open: latest, reading: null, conflict: null, confirming: "", focus: "title" });
      say("This is the latest version of the note.");
    } catch (error) {
      conflictOrFailure(error, id, "The note could not be reloaded:");
    }
  },

  /** Removing the attachment, and deleting what the trash cannot bring back, is asked in the page first. */
  ask(action) {
    update({ confirming: action, focus: `cancel-${action}` });
  },

  cancelAsked() {
    update({ confirming: "", focus: state.confirming === "remove" ? "remove-attachment" : "delete" });
  },

  confirmAsked() {
    const id = state.openId;
    if (state.confirming === "remove") return actions.removeAttachment();
    if (id === "new") {
      dropDraft("new");
      update({ openId: null, confirming: "", focus: "new-note" });
      app.setAddress(null);
      say("The new note was discarded.");
      return;
    }
    return busy("delete", () => app.moveToTrash(id));
  },

  // --- the attachment ----------------------------------------------------------------------

  pickFile() {
    if (offlineFiles()) return;
    if (state.upload) {
      warn("A file is being uploaded already: wait for it to finish.");
      return;
    }
    const input = document.getElementById("file");
    input.value = "";
    input.click();
  },

  fileChosen(event) {
    const file = event.target.files?.[0];
    const id = state.openId;
    if (!file || !id || id === "new" || state.upload) return;
    return attach(id, file);
  },

  async download() {
    if (offlineFiles()) return;
    const id = state.openId;
    say("Preparing the download…");
    try {
      const link = await app.api().attachmentLink(id);
      // A navigation, not fetch: the file is saved under its name and the page stays.
      const anchor = h("a", { href: webAddress(link), rel: "noopener noreferrer", hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      say(`Downloading “${link.name}” (${fileSize(link.size)}).`);
    } catch (error) {
      app.failed(error, "The file could not be downloaded:");
    }
  },

  removeAttachment() {
    const id = state.openId;
    if (!id || !state.open || offlineFiles()) return;
    update({ confirming: "" });
    return busy("remove", async () => {
      const before = state.open.etag;
      say("Removing the attachment…");
      try {
        await app.api().removeAttachment(id, before);
        const latest = await app.api().getNote(id);
        carryDraftForward(id, before, latest.etag);
        app.list().replaceNote(latest.note);
        if (state.openId === id) update({ open: latest, focus: "attach" });
        say("Attachment removed.");
      } catch (error) {
        conflictOrFailure(error, id, "The attachment was not removed:", "remove");
      }
    });
  },
};

// The addresses of attached images shown, by note and file: { url, until } or { asking }.
const previews = new Map();
const PREVIEW_MS = 10 * 60 * 1000;

function previewKey(note) {
  const file = note.attachment || {};
  return `${note.noteId}\n${file.uploadedAt}\n${file.name}\n${file.size}`;
}

/** Attachments are not kept on the device: offline, or for a note not sent yet, the page says so. */
function offlineFiles() {
  const device = app.sync();
  if (!device?.keptHere(state.openId || "")) return false;
  warn(device.offline() ? "Attachments are not available offline: attach or download files once you are back online." : "This note is being sent: attach a file once it is saved.");
  return true;
}

async function openNote(id) {
  clearMessages();
  const device = app.sync();
  const listed = state.notes.find((n) => n.noteId === id) || device?.shown(id);
  const conflict = state.conflict?.id === id ? state.conflict : null;
  // Read, unless text typed in it is not saved (or met a change made elsewhere): then in the editor.
  const editing = conflict || (state.drafts[id] && isDirty(id));
  update({
    openId: id,
    reading: editing ? null : id,
    open: listed ? { note: listed, etag: `"${listed.version}"` } : null,
    confirming: "",
    conflict,
    history: null, // the note's history (history.js) and its link (sharing.js) are asked for again
    sharing: null,
    focus: editing ? "editor-heading" : "note-heading",
  });
  app.setAddress(id);
  if (device?.keptHere(id)) {
    // This device's copy is the note: it was made here, or waits to be sent, or there is no network.
    if (!listed) {
      update({ openId: null, open: null });
      app.setAddress(null);
      warn("This note is not on this device: it opens once you are back online.");
    }
    return;
  }
  try {
    const latest = await app.api().getNote(id);
    const shown = state.open?.note;
    if (shown && shown.noteId === id && shown.version === latest.note.version) return; // as listed
    app.list().replaceNote(latest.note);
    if (state.openId === id) update({ open: latest });
  } catch (error) {
    if (error.kind === "unreachable" && listed && device) {
      return; // the note as this device has it stays shown
    }
    if (error.kind === "notfound") {
      const kept = state.drafts[id] && isDirty(id);
      app.list().removeNote(id, kept ? { conflict: { id, gone: true } } : { openId: null, open: null });
      if (!kept) app.setAddress(null);
    }
    app.failed(error, "The note could not be opened:");
  }
}

function fieldsOf(typed) {
  return { title: typed.title, content: typed.content, tags: parseTags(typed.tags) };
}

async function save(id) {
  const sent = { ...editorFields(id) };
  const device = app.sync();
  if (device?.keptHere(id)) return saveOnDevice(device, id, sent);
  say("Saving…");
  try {
    if (id === "new") {
      const created = await app.api().createNote(fieldsOf(sent));
      keepTypedSince(id, sent, created.etag, created.note.noteId);
      app.list().addNote(created.note, { openId: created.note.noteId, open: created, focus: "save" });
      app.setAddress(created.note.noteId);
    } else {
      const saved = await app.api().saveNote(id, fieldsOf(sent), state.drafts[id]?.etag || state.open.etag);
      keepTypedSince(id, sent, saved.etag, id);
      app.list().replaceNote(saved.note);
      // The editor stays, saved: Read shows the note.
      if (state.openId === id) update({ open: saved, reading: null, conflict: null });
    }
    say("Saved.");
  } catch (error) {
    if (error.kind === "unreachable" && device) {
      return saveOnDevice(device, id, sent);
    }
    conflictOrFailure(error, id, "The note was not saved:", "save");
  }
}

/** Offline: the note saved on this device (sync.js), sent when the network returns. */
async function saveOnDevice(device, id, sent) {
  const etag = id === "new" ? "" : state.drafts[id]?.etag || state.open?.etag || "";
  const note = await device.keepWrite(id === "new" ? "create" : "save", id, fieldsOf(sent), etag, state.open?.note);
  keepTypedSince(id, sent, etag, note.noteId);
  const open = { note, etag };
  if (id === "new") {
    app.list().addNote(note, { openId: note.noteId, open, focus: "save" });
    app.setAddress(note.noteId);
  } else {
    app.list().showChanges(new Map([[id, note]]));
    if (state.openId === id) update({ open, reading: null, conflict: null });
  }
  say(device.offline() ? "Saved on this device: it is sent when you are back online." : "Saved.");
  if (!device.offline()) device.flush();
}

/** A conflict (the note changed or deleted elsewhere) is shown as one, with the text kept; any
 * other failure is said (`context` first). */
export function conflictOrFailure(error, id, context, action = "save") {
  if (error instanceof ApiError && error.kind === "conflict" && id !== "new") {
    update({ conflict: { id, action }, focus: "conflict-heading" });
    warn(`This note was changed elsewhere since you opened it, so ${notDone(action)}. Your text is still here.`);
    return;
  }
  if (error instanceof ApiError && error.kind === "notfound" && id !== "new") {
    if (action === "remove") {
      warn("The attachment was removed elsewhere already.");
      actions.reloadNote();
      return;
    }
    app.list().removeNote(id, { conflict: { id, action, gone: true }, focus: "conflict-heading" });
    warn(`This note was deleted elsewhere, so ${notDone(action)}. Your text is still here.`);
    return;
  }
  app.failed(error, context);
}

async function attach(id, file) {
  const { maxAttachmentBytes: max, fileNameMaxChars, mediaTypePattern, fileNameForbiddenPattern } = state.config;
  const name = file.name;
  if (file.size === 0) return warn(`“${name}” is empty: there is nothing to attach.`);
  if (file.size > max) {
    const exact = fileSize(file.size) === fileSize(max); // the same once rounded: both in bytes
    return warn(`“${name}” is ${fileSize(file.size, exact)}: a note can carry a file of at most ${fileSize(max, exact)}.`);
  }
  if (!name || [...name].length > fileNameMaxChars || new RegExp(fileNameForbiddenPattern, "u").test(name)) {
    return warn(
      `This file's name cannot be used: rename the file (at most ${fileNameMaxChars} characters, no slashes, control or invisible formatting characters) and attach it again.`,
    );
  }
  const contentType = new RegExp(mediaTypePattern).test(file.type) ? file.type.toLowerCase() : "application/octet-stream";
  const before = state.open.etag;
  update({ upload: { name, loaded: 0, total: file.size } });
  say(`Uploading “${name}”…`);
  let sender = null; // upload.js, loaded at the first upload only
  try {
    sender = await import("./upload.js");
    const form = await app.api().requestUpload(id, { name, contentType, size: file.size });
    await sender.uploadFile(form, file, (loaded, total) => {
      if (!state.upload) return;
      uploadProgress(loaded, total);
      showProgress(state.upload);
    });
    const etag = state.openId === id && state.open ? state.open.etag : before;
    const attached = await app.api().attachUpload(id, form.uploadId, etag);
    carryDraftForward(id, etag, attached.etag);
    app.list().replaceNote(attached.note);
    if (state.openId === id) update({ open: attached });
    say(`Attached “${name}” to “${noteLabel(attached.note)}”.`);
  } catch (error) {
    if (!sender) warn("The page could not load its upload code (upload.js): reload it and attach the file again.");
    else if (error instanceof sender.UploadError) warn(error.message);
    else conflictOrFailure(error, id, "The file was not attached:", "attach");
  } finally {
    update({ upload: null });
  }
}
