// The account screen, signed in: who is signed in, changing the password at the pool (with the
// session's access token), exporting every note as one ZIP and deleting the account. Loaded by
// app.js at sign-in with notes-screen.js (a first visit does without it); app.js adds the actions
// below to its own and draws `screens` as screens.js draws the others: they only read the state,
// text as text, and what a person does goes to an action, which changes the state through
// state.js. The export is started, its progress asked for (four times a second until its notes
// are counted, then every second) and shown, the progress taking the button's place and its
// focus, then the download link does.

import { ApiError } from "./api.js";
import { passwordRulesSentence } from "./config.js";
import { h } from "./dom.js";
import { when } from "./notes-screen.js";
import { backHeading, clearMessages, field, fileSize, missingRules, passwordField, say, warn } from "./screens.js";
import { claims, isExpired } from "./session.js";
import { editForm, exportProgress, state, update } from "./state.js";

const PASSWORDS = ["current-password", "new-password", "repeat-password"];
const SHOWN = PASSWORDS.map((id) => `shown-${id}`);
const DELETED_NEWS = "Your account and everything in it are being deleted.";
const POLL_MS = 1000; // an export's progress is asked for every second once its notes are counted,
const STARTING_POLL_MS = 250; // and four times a second before: a small export is made in about a second
const FRESH_MS = 30000; // a download link that expires sooner than this is asked for again

// app.js's wiring: { api(), cognito(), failed, sessionEnded, accessToken(), renew(),
// scoped(): config.oauth in scoped mode }
let app = null;
let polling = 0; // the export polled: a poll of an earlier one (or before signing out) is dropped
let pollTimer = 0;

/** The screens this module draws, by name (screens.js's render). */
export const screens = { account: accountScreen };

/** Signed out: no export is waited for any more. */
export function stop() {
  clearTimeout(pollTimer);
  polling += 1;
}

/** Back to the notes: typed passwords and the email typed to confirm a deletion are not kept
 * once the screen is left. */
export function leave() {
  for (const name of [...PASSWORDS, "confirm-email"]) editForm(name, "");
  for (const name of SHOWN) editForm(name, false);
}

export function accountActions(wiring) {
  app = wiring;
  return {
    showAccount() {
      clearMessages();
      update({ screen: "account", confirming: "", focus: "account-heading" });
      app.setAddress("account");
    },

    changePassword(values) {
      return changePassword(values);
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
  };
}

/** Why this session cannot change the password here ("" when it can): in scoped mode the access
 * token needs the pool's own scope, which the page asks for when the stage's settings list it. */
function passwordBlocked() {
  const scoped = app.scoped();
  if (!scoped) return "";
  const granted = String(claims(app.accessToken())?.scope || "").split(" ");
  const needed = scoped.passwordScope; // what ChangePassword needs of an access token (config.json)
  if (needed && granted.includes(needed)) return "";
  if (needed && String(scoped.scopes || "").split(" ").includes(needed)) {
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
    await app.sync().quietWhile(() => app.api().deleteAccount(email)); // its news, not a pull's
    app.sessionEnded(DELETED_NEWS, { deleted: true, tell: say }); // signed out here only: the pool is deleting the user
  } catch (error) {
    app.failed(error, "Your account was not deleted:");
  } finally {
    update({ busy: "" });
  }
}

// --- the export ----------------------------------------------------------------------------

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

// --- the screen ----------------------------------------------------------------------------

function accountScreen(state, actions) {
  return h(
    "div",
    { class: "your-data" },
    h(
      "section",
      { class: "panel", "aria-labelledby": "account-heading" },
      backHeading("account-heading", "Your account", actions),
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

/** The export's section of the account screen: its button, its progress, then its link. */
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
