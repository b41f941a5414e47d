// Drawing each screen from the state. Elements are made with createElement and text is set as
// text (dom.js): nothing a user or the API wrote is ever parsed as HTML. The live regions of
// index.html (#alert, #status) carry every message, so that it is both seen and announced.
// Screens only read the state: what a person does goes to an action (app.js), which changes the
// state through state.js.

import { passwordRules } from "./config.js";
import { h, replace } from "./dom.js";
import { editorFields, isDirty } from "./state.js";

/** The rules of the pool's password policy (config.json) that `password` does not follow. */
export function missingRules(policy, password) {
  return passwordRules(policy)
    .filter((rule) => !rule.met(password))
    .map((rule) => rule.words.toLowerCase());
}

// --- messages ------------------------------------------------------------------------------

const alertRegion = () => document.getElementById("alert");
const statusRegion = () => document.getElementById("status");

/** An error, in words: shown and announced at once. */
export function warn(text) {
  statusRegion().textContent = "";
  alertRegion().textContent = text;
}

/** News that is not an error: shown and announced politely. */
export function say(text) {
  alertRegion().textContent = "";
  statusRegion().textContent = text;
}

export function clearMessages() {
  alertRegion().textContent = "";
  statusRegion().textContent = "";
}

// --- drawing -------------------------------------------------------------------------------

/** `own`: screens drawn a mode's own way, by name (scoped mode's sign-in, oauth.js). */
export function render(state, actions, own = {}) {
  const main = document.getElementById("main");
  const kept = focusedField();
  document.body.dataset.screen = state.screen;
  replace(document.getElementById("account"), account(state, actions));
  replace(main, (own[state.screen] || screen)(state, actions));
  if (state.focus) {
    const target = document.getElementById(state.focus);
    if (target) {
      target.focus();
      return;
    }
  }
  restoreFocus(kept, main);
}

function screen(state, actions) {
  switch (state.screen) {
    case "loading":
      return h("p", {}, "Loading…");
    case "fatal":
      return fatal(state, actions);
    case "signin":
      return signIn(state, actions);
    case "signup":
      return signUp(state, actions);
    case "confirm":
      return confirm(state, actions);
    case "forgot":
      return forgot(state, actions);
    case "reset":
      return resetPassword(state, actions);
    default:
      return notesScreen(state, actions);
  }
}

function account(state, actions) {
  if (!state.user) return [];
  return [
    h("span", { class: "who" }, "Signed in as ", h("strong", {}, state.user.email || "you")),
    h("button", { type: "button", id: "sign-out", on: { click: actions.signOut } }, "Sign out"),
  ];
}

function fatal(state, actions) {
  return h(
    "section",
    { class: "card" },
    h("h1", { id: "screen-heading", tabindex: "-1" }, "Notes cannot start"),
    h("p", {}, state.fatal),
    h("button", { type: "button", on: { click: actions.retryStart } }, "Try again"),
  );
}

// --- signed out ----------------------------------------------------------------------------

function field(state, actions, { id, label, type = "text", autocomplete, hint, value, inputmode }) {
  const described = hint ? `${id}-hint` : null;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", {
      id,
      name: id,
      type,
      autocomplete,
      inputmode,
      required: true,
      "aria-describedby": described,
      value: value ?? state.form[id] ?? "",
      on: { input: (event) => actions.editForm(id, event.target.value) },
    }),
    hint ? h("p", { id: described, class: "hint" }, hint) : null,
  );
}

function authForm(state, name, onSubmit, ...children) {
  return h(
    "form",
    {
      method: "post",
      novalidate: true,
      "aria-busy": state.busy === name ? "true" : null,
      on: {
        submit: (event) => {
          event.preventDefault();
          onSubmit(Object.fromEntries(new FormData(event.target)));
        },
      },
    },
    ...children,
  );
}

export function card(title, ...children) {
  return h(
    "section",
    { class: "card" },
    h("h1", { id: "screen-heading", tabindex: "-1" }, title),
    ...children,
  );
}

function linkButton(label, onClick, id) {
  return h("button", { type: "button", class: "link", id, on: { click: onClick } }, label);
}

function localNote(state, what) {
  if (!state.config?.local) return null;
  return h("p", { class: "note-local" }, `This is the local stack: no email is sent, and any ${what} is accepted here — type any code, such as 123456.`);
}

function rulesList(rules, password, id) {
  return h(
    "ul",
    { id: `${id}-rules`, class: "rules" },
    rules.map((rule, index) => h("li", { id: `${id}-rule-${index}`, "data-met": rule.met(password) ? "yes" : "no" }, rule.words)),
  );
}

/** Marks the rules met as the password is typed (no redraw: the field keeps its caret). */
function watchRules(rules, id) {
  return (event) => {
    rules.forEach((rule, index) => {
      const item = document.getElementById(`${id}-rule-${index}`);
      if (item) item.dataset.met = rule.met(event.target.value) ? "yes" : "no";
    });
  };
}

function passwordField(state, actions, id, label, autocomplete) {
  const rules = passwordRules(state.config.passwordPolicy);
  const input = field(state, actions, { id, label, type: "password", autocomplete });
  const box = input.querySelector("input");
  box.setAttribute("aria-describedby", `${id}-rules-intro ${id}-rules`);
  box.addEventListener("input", watchRules(rules, id));
  return [
    input,
    h("p", { id: `${id}-rules-intro`, class: "hint" }, "The password needs:"),
    rulesList(rules, state.form[id] || "", id),
  ];
}

function signIn(state, actions) {
  return card(
    "Sign in",
    authForm(
      state,
      "signin",
      actions.signIn,
      field(state, actions, { id: "email", label: "Email", type: "email", autocomplete: "username" }),
      field(state, actions, { id: "password", label: "Password", type: "password", autocomplete: "current-password" }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "submit" }, "Sign in")),
    ),
    h(
      "ul",
      { class: "more", "aria-label": "Other steps" },
      h("li", {}, "New here? ", linkButton("Sign up", () => actions.go("signup"), "go-signup")),
      h("li", {}, linkButton("Forgot your password?", () => actions.go("forgot"), "go-forgot")),
      h("li", {}, "Have a confirmation code? ", linkButton("Confirm your account", () => actions.go("confirm"), "go-confirm")),
    ),
  );
}

function signUp(state, actions) {
  return card(
    "Create an account",
    authForm(
      state,
      "signup",
      actions.signUp,
      field(state, actions, { id: "email", label: "Email", type: "email", autocomplete: "username" }),
      passwordField(state, actions, "password", "Password", "new-password"),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "submit" }, "Sign up")),
    ),
    h("p", {}, "Have an account? ", linkButton("Sign in", () => actions.go("signin"), "go-signin")),
  );
}

function confirm(state, actions) {
  return card(
    "Confirm your account",
    h("p", {}, "Enter the confirmation code sent to your email."),
    localNote(state, "confirmation code"),
    authForm(
      state,
      "confirm",
      actions.confirm,
      field(state, actions, { id: "email", label: "Email", type: "email", autocomplete: "username" }),
      field(state, actions, { id: "code", label: "Confirmation code", autocomplete: "one-time-code", inputmode: "numeric" }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "submit" }, "Confirm")),
    ),
    h("p", {}, linkButton("Back to sign in", () => actions.go("signin"), "go-signin")),
  );
}

function forgot(state, actions) {
  return card(
    "Forgot your password?",
    h("p", {}, "Give your email: a code to choose a new password is sent to it."),
    authForm(
      state,
      "forgot",
      actions.forgot,
      field(state, actions, { id: "email", label: "Email", type: "email", autocomplete: "username" }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "submit" }, "Send code")),
    ),
    h("p", {}, linkButton("Back to sign in", () => actions.go("signin"), "go-signin")),
  );
}

function resetPassword(state, actions) {
  return card(
    "Choose a new password",
    h("p", {}, "Enter the code sent to your email and a new password."),
    localNote(state, "code"),
    authForm(
      state,
      "reset",
      actions.resetPassword,
      field(state, actions, { id: "email", label: "Email", type: "email", autocomplete: "username" }),
      field(state, actions, { id: "code", label: "Confirmation code", autocomplete: "one-time-code", inputmode: "numeric" }),
      passwordField(state, actions, "password", "New password", "new-password"),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "submit" }, "Set new password")),
    ),
    h("p", {}, linkButton("Back to sign in", () => actions.go("signin"), "go-signin")),
  );
}

// --- signed in -----------------------------------------------------------------------------

export function noteLabel(note) {
  const firstLine = (note.content || "").split("\n").find((line) => line.trim()) || "";
  return (note.title || "").trim() || firstLine.trim().slice(0, 80) || "Untitled note";
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, "");
  return h("time", { datetime: iso }, date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
}

function notesScreen(state, actions) {
  return h(
    "div",
    { class: "layout" },
    notesList(state, actions),
    state.openId ? editor(state, actions) : placeholder(state),
  );
}

function notesList(state, actions) {
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
        h(
          "span",
          { class: "note-meta" },
          when(note.updatedAt),
          note.tags?.length ? ` · ${note.tags.join(", ")}` : "",
          note.attachment ? " · 1 file" : "",
          isDirty(note.noteId) ? " · unsaved changes" : "",
        ),
      ),
    );
  });
  let footer = null;
  if (state.listState === "loading") {
    footer = h("p", { class: "hint" }, state.notes.length ? "Loading more notes…" : "Loading your notes…");
  } else if (state.listState === "error") {
    footer = h(
      "p",
      {},
      "Your notes could not be loaded. ",
      h("button", { type: "button", id: "retry-list", on: { click: actions.retryList } }, "Try again"),
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
      h("button", { type: "button", id: "new-note", class: "primary", on: { click: actions.newNote } }, "New note"),
    ),
    h("ul", { "aria-label": "Notes", class: "notes", "aria-busy": state.listState === "loading" ? "true" : null }, items),
    footer,
    state.nextCursor && state.listState !== "error"
      ? h("button", { type: "button", id: "load-more", on: { click: actions.loadMore } }, "Load more")
      : null,
  );
}

function placeholder(state) {
  return h(
    "section",
    { class: "editor empty", "aria-label": "Note" },
    h("p", {}, state.notes.length ? "Choose a note to read or edit it, or write a new one." : "Your notes will show here."),
  );
}

function editor(state, actions) {
  const id = state.openId;
  const isNew = id === "new";
  const fields = editorFields(id);
  const note = isNew ? null : state.open?.note;
  const edit = (name) => (event) => actions.edit(name, event.target.value);
  if (!isNew && !note) {
    return h("section", { class: "editor", "aria-label": "Note", "aria-busy": "true" }, h("p", {}, "Loading the note…"));
  }
  return h(
    "section",
    { class: "editor", "aria-labelledby": "editor-heading" },
    h("h2", { id: "editor-heading", tabindex: "-1" }, isNew ? "New note, not saved yet" : "Edit note"),
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
      state.confirming === "delete" ? deleteConfirmation(state, actions, note) : editorActions(state, actions),
    ),
    isNew ? h("p", { class: "hint" }, "Save the note to attach a file to it.") : attachment(state, actions, note),
    note
      ? h(
          "p",
          { class: "hint meta" },
          `Version ${note.version} · last changed `,
          when(note.updatedAt),
          isDirty(id) ? " · unsaved changes" : "",
        )
      : null,
  );
}

function editorActions(state, actions) {
  return h(
    "div",
    { class: "actions" },
    h("button", { type: "submit", id: "save", class: "primary", "aria-busy": state.busy === "save" ? "true" : null }, "Save"),
    h("button", { type: "button", id: "delete", class: "danger", on: { click: actions.askDelete } }, "Delete"),
  );
}

function deleteConfirmation(state, actions, note) {
  const what = note ? `“${noteLabel(note)}”${note.attachment ? " and its file" : ""}` : "This new note";
  return h(
    "div",
    {
      role: "alertdialog",
      class: "confirm",
      "aria-labelledby": "confirm-heading",
      "aria-describedby": "confirm-text",
      on: { keydown: (event) => event.key === "Escape" && actions.cancelDelete() },
    },
    h("h3", { id: "confirm-heading" }, note ? "Delete this note?" : "Discard this new note?"),
    h("p", { id: "confirm-text" }, `${what} will be deleted. This cannot be undone.`),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "confirm-delete", class: "danger", on: { click: actions.confirmDelete } }, "Delete"),
      h("button", { type: "button", id: "cancel-delete", on: { click: actions.cancelDelete } }, "Cancel"),
    ),
  );
}

/** What did not happen when a write met a change made elsewhere. */
export function notDone(action) {
  return (
    {
      delete: "it was not deleted",
      attach: "the file was not attached",
      remove: "the attachment was not removed",
    }[action] || "your changes were not saved"
  );
}

function conflictBox(state, actions) {
  const what = notDone(state.conflict.action);
  if (state.conflict.gone) {
    return h(
      "div",
      { class: "conflict", role: "group", "aria-labelledby": "conflict-heading" },
      h("h3", { id: "conflict-heading", tabindex: "-1" }, "Deleted elsewhere"),
      h("p", {}, `This note was deleted elsewhere, so ${what}. Your text is still here.`),
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
      "p",
      {},
      `This note was changed elsewhere (in another window or on another device) after you opened it, so ${what}. Your text is still here.`,
    ),
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

function attachment(state, actions, note) {
  const file = note?.attachment;
  const max = fileSize(state.config.maxAttachmentBytes);
  return h(
    "section",
    { class: "attachment", "aria-labelledby": "attachment-heading" },
    h("h3", { id: "attachment-heading" }, "Attachment"),
    file
      ? h(
          "p",
          { class: "file" },
          h("span", { class: "file-name" }, file.name),
          ` (${fileSize(file.size)}, ${file.contentType})`,
        )
      : h("p", { class: "hint" }, "No file attached."),
    h(
      "div",
      { class: "actions" },
      file ? h("button", { type: "button", id: "download", on: { click: actions.download } }, "Download") : null,
      h(
        "button",
        { type: "button", id: "attach", "aria-describedby": "attach-hint", on: { click: actions.pickFile } },
        "Attach file",
      ),
      file
        ? h("button", { type: "button", id: "remove-attachment", on: { click: actions.removeAttachment } }, "Remove attachment")
        : null,
    ),
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

/** Moves the progress bar without a redraw. */
export function showProgress(upload) {
  const bar = document.getElementById("upload-progress");
  const percent = upload.total ? Math.floor((upload.loaded / upload.total) * 100) : 0;
  if (bar) {
    bar.value = percent;
    bar.textContent = `${percent}%`;
  }
  const text = document.getElementById("upload-percent");
  if (text) text.textContent = `${percent}%`;
}

// --- focus ---------------------------------------------------------------------------------

function focusedField() {
  const active = document.activeElement;
  if (!active || active === document.body || !active.id) return null;
  const kept = { id: active.id };
  if (typeof active.selectionStart === "number") {
    kept.start = active.selectionStart;
    kept.end = active.selectionEnd;
    kept.scroll = active.scrollTop;
  }
  return kept;
}

function restoreFocus(kept, main) {
  if (!kept) return;
  const element = document.getElementById(kept.id);
  if (element) {
    element.focus({ preventScroll: true });
    if (typeof kept.start === "number" && typeof element.setSelectionRange === "function") {
      try {
        element.setSelectionRange(kept.start, kept.end);
        element.scrollTop = kept.scroll;
      } catch {
        // not a text field any more
      }
    }
    return;
  }
  // What had focus is gone (a deleted note, another screen): start from the screen's heading.
  const heading = main.querySelector("h1[tabindex], h2[tabindex]");
  if (heading) heading.focus();
}

