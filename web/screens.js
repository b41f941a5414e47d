// Drawing each screen from the state. Elements are made with createElement and text is set as
// text (dom.js): nothing a user or the API wrote is ever parsed as HTML. The live regions of
// index.html (#alert, #status) carry every message, so that it is both seen and announced.
// Screens only read the state: what a person does goes to an action (app.js gathers them), which
// changes the state through state.js. The signed-in screens are drawn by modules app.js loads at
// sign-in (a first visit does without them): the notes and the note open by notes-screen.js, the
// trash by trash.js, the account by account.js.

import { passwordRules } from "./config.js";
import { h, replace } from "./dom.js";

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

/** `own`: screens drawn by another module, by name (the notes; scoped mode's sign-in, oauth.js),
 * and the bar's word on offline and waiting changes (`syncState`, signed in). */
export function render(state, actions, own = {}) {
  const main = document.getElementById("main");
  const kept = focusedField();
  document.body.dataset.screen = state.screen;
  replace(document.getElementById("account"), account(state, actions));
  const sync = document.getElementById("sync"); // offline, and what waits (notes-screen.js)
  replace(sync, (state.user && own.syncState?.(state)) || null);
  sync.hidden = !sync.firstChild;
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
      return h("p", {}, "Loading…");
  }
}

function account(state, actions) {
  if (!state.user) return [];
  return [
    h("span", { class: "who" }, h("span", { class: "who-words" }, "Signed in as "), h("strong", {}, state.user.email || "you")),
    h(
      "button",
      { type: "button", id: "go-account", "aria-current": state.screen === "account" ? "page" : null, on: { click: actions.showAccount } },
      "Account",
    ),
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

/** A labelled field whose text is kept in state.form[id]; a password one can be shown (state.form[shown]). */
export function field(state, actions, { id, label, type = "text", autocomplete, hint, value, inputmode, shown = "shown" }) {
  const described = hint ? `${id}-hint` : null;
  const secret = type === "password";
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", {
      id,
      name: id,
      type: secret && state.form[shown] ? "text" : type,
      autocomplete,
      inputmode,
      required: true,
      "aria-describedby": described,
      value: value ?? state.form[id] ?? "",
      on: { input: (event) => actions.editForm(id, event.target.value) },
    }),
    secret ? showPassword(state, actions, id, shown) : null,
    hint ? h("p", { id: described, class: "hint" }, hint) : null,
  );
}

/** A toggle that shows the password typed, or hides it again; the field keeps its text. */
function showPassword(state, actions, id, shown) {
  return h(
    "button",
    {
      type: "button",
      class: "link show",
      "aria-controls": id,
      "aria-pressed": String(Boolean(state.form[shown])),
      on: {
        click: (event) => {
          const now = event.currentTarget.getAttribute("aria-pressed") !== "true";
          event.currentTarget.setAttribute("aria-pressed", String(now));
          document.getElementById(id).type = now ? "text" : "password";
          actions.editForm(shown, now);
        },
      },
    },
    "Show password",
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

export function passwordField(state, actions, id, label, autocomplete, shown) {
  const rules = passwordRules(state.config.passwordPolicy);
  const input = field(state, actions, { id, label, type: "password", autocomplete, shown });
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

// --- signed in: what the signed-in modules share ------------------------------------------

/** The heading of a screen reached from the notes (the trash, the account), with the way back. */
export function backHeading(id, title, actions) {
  return h(
    "div",
    { class: "list-head" },
    h("h1", { id, tabindex: "-1" }, title),
    h("button", { type: "button", id: "back-to-notes", on: { click: actions.showNotes } }, "Back to your notes"),
  );
}

/**
 * The title, else the first 80 characters (code points, never half of one) of the content's first
 * line that is not blank, else "Untitled note". Blank is what trim() removes, and the ends of the
 * title and the line are trimmed. The notes command names a note by the same rule.
 */
export function noteLabel(note) {
  const firstLine = (note.content || "").split("\n").find((line) => line.trim()) || "";
  return (note.title || "").trim() || [...firstLine.trim()].slice(0, 80).join("") || "Untitled note";
}

/** `exact`: the count of bytes, for sizes whose rounded figures would be the same. */
export function fileSize(bytes, exact) {
  if (exact || bytes < 1024) return `${bytes.toLocaleString("en")} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  // Rounded as shown: 1,048,575 bytes is "1.0 MB", not "1024 KB".
  while (Math.round(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** What did not happen when a write met a change made elsewhere. */
export function notDone(action) {
  return (
    {
      delete: "it was not moved to the trash",
      attach: "the file was not attached",
      remove: "the attachment was not removed",
    }[action] || "your changes were not saved"
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

