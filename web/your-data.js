// Your data, signed in: the trash (a deleted note is kept there 30 days: Undo right after the
// delete, Restore and Delete forever in the trash view) and the account screen (change the
// password at the pool, export every note as a ZIP, delete the account). Loaded by app.js at
// sign-in with notes-screen.js (a first visit does without it); app.js adds the actions below to
// its own and draws `screens` as screens.js draws the others: they only read the state, text as
// text, and what a person does goes to an action, which changes the state through state.js.

import { ApiError } from "./api.js";
import { passwordRulesSentence } from "./config.js";
import { h } from "./dom.js";
import { askFirst, contentStart, when } from "./notes-screen.js";
import { clearMessages, field, fileSize, missingRules, noteLabel, passwordField, say, warn } from "./screens.js";
import { claims, isExpired } from "./session.js";
import { dropDraft, editForm, exportProgress, isDirty, state, update } from "./state.js";

const PAGE_SIZE = 20;
const POLL_MS = 1000; // an export's progress is asked for every second once its notes are counted,
const STARTING_POLL_MS = 250; // and four times a second before: a small export is made in about a second
const FRESH_MS = 30000; // a download link that expires sooner than this is asked for again
const USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"; // what ChangePassword needs of an access token
const PASSWORDS = ["current-password", "new-password", "repeat-password"];
const SHOWN = PASSWORDS.map((id) => `shown-${id}`);
const DELETED_NEWS = "Your account and everything in it are being deleted.";

// app.js's wiring: { api(), cognito(), list(), failed, conflictOrFailure, setAddress,
// sessionEnded, accessToken(), renew(), scoped(): config.oauth in scoped mode }
let app = null;
let trashListing = 0; // the latest listing of the trash asked for: the answer to an earlier one is dropped
let polling = 0; // the export polled: a poll of an earlier one (or before signing out) is dropped
let pollTimer = 0;
let notesStale = false; // a note came back from the trash: the list is read again on the way back
let undoing = false;

/** The screens this module draws, by name (screens.js's render). */
export const screens = { trash: trashScreen, account: accountScreen };

/** Signed out: no listing or export is waited for any more. */
export function stop() {
  clearTimeout(pollTimer);
  polling += 1;
  trashListing += 1;
  notesStale = false;
}

/** Moves the note open (`id`) to the trash; the news offers Undo, which brings it back where it
 * was in the list. A later message takes the place of the button. */
export async function moveToTrash(id) {
  const note = state.open.note;
  const where = { index: state.notes.findIndex((n) => n.noteId === id), search: state.search };
  const label = noteLabel(note);
  say("Moving to the trash…");
  try {
    await app.api().deleteNote(id, state.drafts[id]?.etag || state.open.etag);
    dropDraft(id);
    app.list().removeNote(id, { openId: null, open: null, confirming: "", conflict: null, focus: "new-note" });
    app.setAddress(null);
    say(`Moved to the trash: “${label}”.`);
    const undo = h("button", { type: "button", id: "undo", class: "undo", on: { click: () => undoDelete(id, label, where) } }, "Undo");
    document.getElementById("status").append(" ", undo);
  } catch (error) {
    update({ confirming: "" });
    app.conflictOrFailure(error, id, "The note was not moved to the trash:", "delete");
  }
}

export function yourDataActions(wiring) {
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

    showAccount() {
      clearMessages();
      update({ screen: "account", confirming: "", focus: "account-heading" });
      app.setAddress("account");
    },

    /** Back from the trash or the account: the notes as they were (read again if one came back,
     * or if their listing did not finish meanwhile). */
    showNotes() {
      clearMessages();
      forgetAccountForm();
      trashListing += 1;
      update({ screen: "notes", confirming: "", trash: null, focus: "notes-heading" });
      app.setAddress(state.openId);
      if (notesStale || state.listState !== "loaded") {
        notesStale = false;
        return app.list().loadNotes(false);
      }
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

    changePassword(values) {
      return changePassword(values);
    },

    startExport() {
      return startExport();
    },

    /** The download link: followed as it is, unless it is about to expire (then asked for again). */
    downloadExport(event) {
      const exported = state.exported;
      if (!exported?.expiresAt || Date.parse(exported.expiresAt) - Date.now() > FRESH_MS) return;
      event.preventDefault();
      return downloadAgain(exported.exportId);
    },

    /** A keystroke in the email that confirms a deletion: the button works once it is the email. */
    typeConfirmation(value) {
      editForm("confirm-email", value);
      const button = document.getElementById("delete-account");
      if (button) button.disabled = !confirmed(value);
    },

    deleteAccount() {
      return deleteAccount();
    },
  };
}

// --- the trash -----------------------------------------------------------------------------

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
      heading("trash-heading", "Trash", actions),
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

function heading(id, title, actions) {
  return h(
    "div",
    { class: "list-head" },
    h("h1", { id, tabindex: "-1" }, title),
    h("button", { type: "button", id: "back-to-notes", on: { click: actions.showNotes } }, "Back to your notes"),
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

// --- the account ---------------------------------------------------------------------------

/** Typed passwords and the email typed to confirm a deletion are not kept once the screen is left. */
function forgetAccountForm() {
  for (const name of [...PASSWORDS, "confirm-email"]) editForm(name, "");
  for (const name of SHOWN) editForm(name, false);
}

/** Why this session cannot change the password here ("" when it can): in scoped mode the access
 * token needs the pool's own scope, which the page asks for when the stage's settings list it. */
function passwordBlocked() {
  const scoped = app.scoped();
  if (!scoped) return "";
  const granted = String(claims(app.accessToken())?.scope || "").split(" ");
  if (granted.includes(USER_ADMIN_SCOPE)) return "";
  if (String(scoped.scopes || "").split(" ").includes(USER_ADMIN_SCOPE)) {
    return "This sign-in does not allow changing the password here: sign out, sign in again, then change it.";
  }
  return "The password is changed on the sign-in page of your notes' accounts, not here: sign out, choose Sign in, then “Forgot your password?”.";
}

async function changePassword(values) {
  const current = values["current-password"] || "";
  const proposed = values["new-password"] || "";
  const repeated = values["repeat-password"] || "";
  const policy = state.config.passwordPolicy;
  const missing = missingRules(policy, proposed);
  let refusal = "";
  let focus = "";
  if (!current) [refusal, focus] = ["Enter your current password.", "current-password"];
  else if (!proposed) [refusal, focus] = ["Enter a new password.", "new-password"];
  else if (missing.length) [refusal, focus] = [`The new password needs ${missing.join(", ")}.`, "new-password"];
  else if (repeated !== proposed) {
    [refusal, focus] = ["The new password and its repetition are not the same: type the new password again.", "repeat-password"];
  }
  if (refusal) {
    warn(refusal);
    update({ focus });
    return;
  }
  if (state.busy) return;
  update({ busy: "password" });
  say("Changing your password…");
  try {
    const token = await accessToken();
    if (!token) return;
    await app.cognito().changePassword(token, current, proposed);
    for (const name of PASSWORDS) editForm(name, "");
    update({ focus: "current-password" });
    say("Your password is changed: sign in with the new one from now on.");
  } catch (error) {
    const [words, where] = passwordRefusal(error, policy);
    warn(words);
    if (where) update({ focus: where });
  } finally {
    update({ busy: "" });
  }
}

/** The session's access token, renewed first when it has expired; "" when the session is over (said). */
async function accessToken() {
  const token = app.accessToken();
  if (token && !isExpired(token)) return token;
  try {
    await app.renew();
  } catch (error) {
    if (error?.unreachable) warn(error.message);
    else app.failed(new ApiError("Your session has expired: sign in again.", { status: 401, kind: "expired" }));
    return "";
  }
  return app.accessToken();
}

/** What the pool's refusal of ChangePassword means, in words, and the field to correct. */
function passwordRefusal(error, policy) {
  const said = error.said ? ` (the sign-in service said: “${error.said}”)` : "";
  if (error.type === "NotAuthorizedException" && !/token/i.test(error.said || "")) {
    return ["The current password is not right: your password was not changed.", "current-password"];
  }
  if (error.type === "NotAuthorizedException") {
    return [`This sign-in cannot change the password${said}: sign out, sign in again, then change it.`, ""];
  }
  if (error.type === "InvalidPasswordException" || error.type === "InvalidParameterException") {
    return [
      `The new password was refused${said}. It needs ${passwordRulesSentence(policy)}. Your password was not changed.`,
      "new-password",
    ];
  }
  return [`Your password was not changed: ${error.message}`, ""];
}

async function startExport() {
  if (state.exported?.status === "pending" && !state.exported.stalled) return;
  clearTimeout(pollTimer);
  polling += 1;
  say("Starting the export…");
  try {
    const started = await app.api().startExport();
    // The progress takes the button's place, and the focus with it: in view, and read out.
    update({
      exported: { exportId: started.exportId, status: "pending", progress: { done: 0, total: null } },
      ...(exportFocused() ? { focus: "export-progress" } : {}),
    });
    say("Exporting your notes…");
    pollSoon(started.exportId, STARTING_POLL_MS);
  } catch (error) {
    app.failed(error, "The export could not be started:");
  }
}

/** Whether the person is at the export (its button, its progress), or nowhere else on the page. */
function exportFocused() {
  const active = document.activeElement;
  return !active || active === document.body || Boolean(active.closest?.("#export-section"));
}

function pollSoon(id, ms = POLL_MS) {
  const run = ++polling;
  clearTimeout(pollTimer);
  pollTimer = setTimeout(() => poll(id, run), ms);
}

async function poll(id, run) {
  let answer;
  try {
    answer = await app.api().exportStatus(id);
  } catch (error) {
    if (run !== polling) return;
    update({ exported: { ...state.exported, stalled: true }, ...(exportFocused() ? { focus: "check-export" } : {}) });
    if (error instanceof ApiError && error.kind === "notfound") warn("This export no longer exists: start another.");
    else app.failed(error, "The export's progress could not be read:");
    return;
  }
  if (run !== polling || state.exported?.exportId !== id) return;
  if (answer.status === "pending") {
    if (state.exported.stalled) update({ exported: answer });
    else exportProgress(answer);
    showExportProgress(answer.progress);
    pollSoon(id, counted(answer.progress) ? POLL_MS : STARTING_POLL_MS);
    return;
  }
  // Done: what took the progress's place (the link, or the button to try again) takes its focus.
  const focus = exportFocused() ? { focus: answer.status === "ready" && webAddress(answer.url) ? "export-link" : "start-export" } : {};
  update({ exported: answer, ...focus });
  const where = state.screen === "account" ? "below" : "on the Account screen";
  if (answer.status === "ready") say(`Your notes are exported: download them with the link ${where}.`);
  else warn(`The export failed: ${answer.error || "start another."}`);
}

/** Checks again on an export whose progress could not be read. */
function checkAgain() {
  const id = state.exported?.exportId;
  if (!id) return;
  clearMessages();
  update({ exported: { ...state.exported, stalled: false }, focus: "export-progress" });
  const run = ++polling;
  return poll(id, run);
}

/** Moves the progress bar and its words without a redraw. */
function showExportProgress(progress) {
  const bar = document.getElementById("export-progress");
  const words = document.getElementById("export-count");
  if (bar && counted(progress)) {
    bar.max = Math.max(progress.total, 1);
    bar.value = Math.min(progress.done, bar.max);
  }
  if (words) words.textContent = progressWords(progress);
}

/** Whether the export's notes are counted (GET /exports/{id} says `total: null` until they are). */
function counted(progress) {
  return progress?.total !== null && progress?.total !== undefined;
}

function progressWords({ done, total }) {
  if (total === null || total === undefined) return "Counting your notes…";
  return `${done.toLocaleString("en")} of ${total.toLocaleString("en")} ${total === 1 ? "note" : "notes"}`;
}

async function downloadAgain(id) {
  say("Preparing the download…");
  try {
    const fresh = await app.api().exportStatus(id);
    update({ exported: fresh });
    const href = webAddress(fresh.url);
    if (fresh.status !== "ready" || !href) throw new Error("the export cannot be downloaded any more: start another.");
    // A navigation, not fetch: the ZIP is saved under its name and the page stays.
    const anchor = h("a", { href, rel: "noopener noreferrer", hidden: true });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    say("Downloading your notes.");
  } catch (error) {
    app.failed(error, "The export could not be downloaded:");
  }
}

/** `url` when it is a web address (the bucket's presigned URL), else null. */
function webAddress(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// As the API compares them: the email as signed in, whatever its letter case (the pool's usernames
// have none), around spaces ignored.
function confirmed(value) {
  const email = state.user?.email;
  return Boolean(email) && value.trim().toLowerCase() === email.toLowerCase();
}

async function deleteAccount() {
  const email = state.form["confirm-email"] || "";
  if (!confirmed(email) || state.busy) return;
  update({ busy: "delete-account" });
  say("Deleting your account…");
  try {
    await app.api().deleteAccount(email);
    app.sessionEnded(DELETED_NEWS, { deleted: true, tell: say }); // signed out here only: the pool is deleting the user
  } catch (error) {
    app.failed(error, "Your account was not deleted:");
  } finally {
    update({ busy: "" });
  }
}

function accountScreen(state, actions) {
  return h(
    "div",
    { class: "your-data" },
    h(
      "section",
      { class: "panel", "aria-labelledby": "account-heading" },
      heading("account-heading", "Your account", actions),
      h("p", {}, "Signed in as ", h("strong", {}, state.user?.email || "you"), "."),
    ),
    passwordSection(state, actions),
    exportSection(state, actions),
    deleteSection(state, actions),
  );
}

function passwordSection(state, actions) {
  const blocked = passwordBlocked();
  const body = blocked
    ? h("p", {}, blocked)
    : h(
        "form",
        {
          id: "password-form",
          method: "post",
          novalidate: true,
          "aria-busy": state.busy === "password" ? "true" : null,
          on: {
            submit: (event) => {
              event.preventDefault();
              actions.changePassword(Object.fromEntries(new FormData(event.target)));
            },
          },
        },
        // For password managers: whose password this is.
        h("input", { type: "email", name: "username", autocomplete: "username", value: state.user?.email || "", hidden: true, readonly: true }),
        field(state, actions, {
          id: "current-password",
          label: "Current password",
          type: "password",
          autocomplete: "current-password",
          shown: "shown-current-password",
        }),
        passwordField(state, actions, "new-password", "New password", "new-password", "shown-new-password"),
        field(state, actions, {
          id: "repeat-password",
          label: "Repeat the new password",
          type: "password",
          autocomplete: "new-password",
          shown: "shown-repeat-password",
        }),
        h("div", { class: "actions" }, h("button", { type: "submit", id: "change-password", class: "primary" }, "Change password")),
      );
  return h(
    "section",
    { class: "panel", "aria-labelledby": "password-heading" },
    h("h2", { id: "password-heading" }, "Change password"),
    body,
  );
}

function exportSection(state, actions) {
  const exported = state.exported;
  const pending = exported?.status === "pending" && !exported.stalled;
  return h(
    "section",
    { class: "panel", id: "export-section", "aria-labelledby": "export-heading" },
    h("h2", { id: "export-heading" }, "Export my notes"),
    h(
      "p",
      { class: "hint", id: "export-hint" },
      "One ZIP file of every note (as Markdown and as JSON) with its file, and the notes in the trash. It can be downloaded for a day.",
    ),
    exported ? exportState(exported, actions) : null,
    pending
      ? null
      : h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", id: "start-export", "aria-describedby": "export-hint", on: { click: actions.startExport } },
            exported ? "Export my notes again" : "Export my notes",
          ),
        ),
  );
}

function exportState(exported, actions) {
  if (exported.stalled) {
    return h(
      "p",
      {},
      "The export's progress could not be read. ",
      h("button", { type: "button", id: "check-export", on: { click: checkAgain } }, "Check again"),
    );
  }
  if (exported.status === "pending") {
    const { done, total } = exported.progress || { done: 0, total: null };
    const known = total !== null && total !== undefined;
    return h(
      "div",
      { class: "progress" },
      h("label", { for: "export-progress" }, "Exporting your notes"),
      h(
        "progress",
        { id: "export-progress", tabindex: "-1", ...(known ? { max: String(Math.max(total, 1)), value: String(done) } : {}) },
        progressWords(exported.progress || {}),
      ),
      h("span", { id: "export-count" }, progressWords({ done, total })),
    );
  }
  if (exported.status === "ready") {
    const href = webAddress(exported.url);
    return h(
      "div",
      { class: "export-ready" },
      h(
        "p",
        {},
        href
          ? h("a", { href, id: "export-link", rel: "noopener noreferrer", on: { click: actions.downloadExport } }, "Download your notes")
          : "The export is made, but its address cannot be used: export again.",
        exported.size !== null && exported.size !== undefined ? ` (ZIP, ${fileSize(exported.size)})` : "",
      ),
      exported.availableUntil ? h("p", { class: "hint" }, "It can be downloaded until ", when(exported.availableUntil), ".") : null,
    );
  }
  return h("p", { class: "export-failed" }, `The export failed: ${exported.error || "start another."}`);
}

function deleteSection(state, actions) {
  const email = state.user?.email || "";
  const typed = state.form["confirm-email"] || "";
  const box = field(state, actions, {
    id: "confirm-email",
    label: "Type your email to confirm",
    type: "email",
    autocomplete: "off",
    hint: email ? `The email you signed in with: ${email}` : "This page does not know your email: it cannot delete the account.",
  });
  const input = box.querySelector("input");
  input.removeAttribute("required");
  input.spellcheck = false;
  input.addEventListener("input", (event) => actions.typeConfirmation(event.target.value));
  return h(
    "section",
    { class: "panel danger-zone", "aria-labelledby": "delete-heading" },
    h("h2", { id: "delete-heading" }, "Delete my account"),
    h(
      "p",
      { id: "delete-text" },
      "This deletes your account and everything in it for good: every note, the trash, every file and your exports. This cannot be undone.",
    ),
    box,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          id: "delete-account",
          class: "danger",
          disabled: !confirmed(typed),
          "aria-describedby": "delete-text",
          "aria-busy": state.busy === "delete-account" ? "true" : null,
          on: { click: actions.deleteAccount },
        },
        "Delete my account",
      ),
    ),
  );
}
