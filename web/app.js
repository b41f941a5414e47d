// The page's wiring: each action a person can take, from the state to the API or the user pool
// and back. Screens are drawn in screens.js; the state lives in state.js, and is changed only
// through the functions it exports. The rules shared with the server come from config.json
// (state.config). In scoped mode (config.mode) the page signs in at the pool's own sign-in page
// (oauth.js, loaded only then) and sends the API the access token. The signed-in screens (the
// notes: notes-screen.js; the trash and the account: your-data.js) are loaded at sign-in, while
// the pool checks the password.

import { ApiError, apiClient } from "./api.js";
import { cognitoClient } from "./cognito.js";
import { loadConfig } from "./config.js";
import { h } from "./dom.js";
import { clearMessages, fileSize, missingRules, noteLabel, notDone, render, say, showProgress, warn } from "./screens.js";
import { SESSION_KEY, forgetSession, loadSession, saveSession, whyEnded } from "./session.js";
import {
  PLAIN,
  carryDraftForward,
  dropDraft,
  editField,
  editForm,
  editorFields,
  forgetDrafts,
  isDirty,
  keepTypedSince,
  loadDrafts,
  onChange,
  parseTags,
  rebaseDraft,
  reset,
  state,
  storeDrafts,
  update,
  uploadProgress,
} from "./state.js";

// The pool's sign-in page comes back with ?code=…&state=… (or ?error=…): they leave the address
// before anything else is done, so that no code stays in the history or on screen.
let returned = fromSignInPage();

let cognito = null;
let oauth = null; // scoped mode: the pool's sign-in page (oauth.js)
let api = null;
let session = null; // { idToken, accessToken, refreshToken, email, sub }
let renewing = null;
let notesScreen = null; // notes-screen.js's drawing, once loaded
let list = null; // the list of notes (notes-list.js), loaded with it
let yourData = null; // the trash and the account (your-data.js), loaded with it
let loadingNotesScreen = null;

function fromSignInPage() {
  const url = new URL(location.href);
  const names = ["code", "state", "error", "error_description"];
  if (!names.some((name) => url.searchParams.has(name))) return null;
  const found = Object.fromEntries(names.map((name) => [name, url.searchParams.get(name) || ""]));
  for (const name of names) url.searchParams.delete(name);
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  return found;
}

// --- the session ---------------------------------------------------------------------------

const auth = {
  token: () => (oauth ? session?.accessToken : session?.idToken) || "",
  /** A new token from the refresh token; concurrent callers share one renewal. */
  renew() {
    if (!session) return Promise.reject(new Error("signed out"));
    if (!renewing) {
      const clientId = oauth?.clientId || state.config.userPoolClientId;
      renewing = (oauth || cognito)
        .refresh(session.refreshToken)
        .then((tokens) => {
          session = saveSession(clientId, tokens, session.email);
          return auth.token();
        })
        .finally(() => {
          renewing = null;
        });
    }
    return renewing;
  },
};

/** Loads the signed-in screens, the list and their stylesheets (once; again after a failure). */
function loadNotesScreen() {
  loadingNotesScreen ||= Promise.allSettled([
    import("./notes-screen.js"),
    import("./your-data.js"),
    stylesheet("notes-screen.css"),
    stylesheet("your-data.css"),
  ])
    .then((settled) => {
      // The first file that failed, in this order (your-data.js needs notes-screen.js).
      const broken = settled.findIndex((result) => result.status === "rejected");
      if (broken >= 0) throw new Error(["notes-screen.js", "your-data.js"][broken]);
      const [loaded, data] = settled.map((result) => result.value);
      Object.assign(actions, loaded.listActions({ api: () => api, failed, setAddress }));
      Object.assign(actions, data.yourDataActions(wiring));
      notesScreen = loaded.notesScreen;
      list = loaded;
      yourData = data;
    })
    .catch((error) => {
      loadingNotesScreen = null;
      throw error;
    });
  return loadingNotesScreen;
}

/** Adds the stylesheet at `href`: done once it is loaded, or failed (the page works without it). */
function stylesheet(href) {
  return new Promise((done) => {
    document.head.append(h("link", { rel: "stylesheet", href, on: { load: done, error: done } }));
  });
}

async function signedIn(newSession, focus) {
  session = newSession;
  try {
    await loadNotesScreen();
  } catch (error) {
    const words = `The page could not load its notes screen (${error.message}): reload it.`;
    update({ screen: "fatal", fatal: words });
    warn(words);
    return;
  }
  update({
    screen: "notes",
    user: { email: newSession.email, sub: newSession.sub },
    drafts: loadDrafts(newSession.sub),
    form: { email: "", password: "", code: "" },
    notes: [],
    nextCursor: null,
    listState: "idle",
    listMore: false,
    search: PLAIN,
    searchText: "",
    tags: [],
    openId: null,
    open: null,
    conflict: null,
    confirming: "",
    signOutWarned: false,
    focus,
  });
  list.loadNotes(false).then(openFromAddress);
}

/** The session is over (expired, refused, ended in another window, the account deleted): back to
 * signing in, `message` said as an error (`tell`: or otherwise). A deleted account (`deleted`)
 * leaves nothing behind: not its drafts, nor its email in the sign-in form; the page's other
 * windows are told why. */
function sessionEnded(message, { keepDrafts = true, tell = warn, deleted = false } = {}) {
  const email = deleted ? "" : state.user?.email || "";
  keepDrafts &&= !deleted;
  const unsaved = Object.keys(state.drafts).filter(isDirty).length;
  if (keepDrafts) storeDrafts();
  else forgetDrafts();
  forgetSession(deleted ? "deleted" : "");
  session = null;
  list?.stopListing();
  yourData?.stop();
  if (deleted) setAddress(null); // whoever signs in next starts at their notes
  reset({ screen: "signin", form: { email, password: "", code: "" }, focus: oauth ? "sign-in" : email ? "password" : "email" });
  const kept = keepDrafts && unsaved ? " Your unsaved changes are kept for when you sign in again." : "";
  tell(`${message}${kept}`);
}

/** Says what failed, in words; a failure of the session itself sends the person to sign in. */
function failed(error, context) {
  if (error instanceof ApiError && (error.kind === "expired" || error.kind === "unauthorized" || error.kind === "deleted")) {
    sessionEnded(error.message, { deleted: error.kind === "deleted" });
    return;
  }
  const words = error && error.message ? error.message : String(error);
  warn(context ? `${context} ${words}` : words);
}

// --- signing up and in ---------------------------------------------------------------------

function need(values, names) {
  const labels = { email: "your email", password: "a password", code: "the confirmation code" };
  const missing = names.filter((name) => !String(values[name] || "").trim());
  if (!missing.length) return true;
  warn(`Enter ${missing.map((name) => labels[name]).join(" and ")}.`);
  update({ focus: missing[0] });
  return false;
}

function passwordFollowsRules(password) {
  const missing = missingRules(state.config.passwordPolicy, password);
  if (!missing.length) return true;
  warn(`The password needs ${missing.join(", ")}.`);
  update({ focus: "password" });
  return false;
}

async function busy(name, run) {
  if (state.busy) return;
  update({ busy: name });
  try {
    await run();
  } finally {
    update({ busy: "" });
  }
}

const actions = {
  editForm(name, value) {
    editForm(name, value);
  },

  go(screen) {
    clearMessages();
    editForm("shown", false); // a password shown on one screen is hidden on the next
    update({ screen, focus: "screen-heading" });
  },

  /** Scoped mode: off to the pool's sign-in page, where signing up happens too. */
  signInAtPool() {
    return busy("signin", () => oauth.signIn(location.hash));
  },

  signIn(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "password"])) return;
    return busy("signin", async () => {
      say("Signing in…");
      loadNotesScreen().catch(() => {}); // meanwhile; a failure is said once signed in
      try {
        const tokens = await cognito.signIn(email, values.password);
        const newSession = saveSession(state.config.userPoolClientId, tokens, email);
        clearMessages(); // the header says who is signed in
        await signedIn(newSession, "notes-heading");
      } catch (error) {
        if (error.type === "UserNotConfirmedException") {
          update({ screen: "confirm", focus: "code" });
        } else {
          update({ focus: "password" });
        }
        warn(error.message);
      }
    });
  },

  signUp(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "password"]) || !passwordFollowsRules(values.password)) return;
    return busy("signup", async () => {
      say("Creating your account…");
      try {
        await cognito.signUp(email, values.password);
        update({ screen: "confirm", form: { email, password: "", code: "" }, focus: "code" });
        say(state.config.local ? "Account created: now confirm it." : `Account created. Enter the confirmation code sent to ${email}.`);
      } catch (error) {
        warn(error.message);
        update({ focus: error.type === "UsernameExistsException" ? "email" : "password" });
      }
    });
  },

  confirm(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "code"])) return;
    return busy("confirm", async () => {
      say("Confirming…");
      try {
        await cognito.confirmSignUp(email, String(values.code).trim());
        update({ screen: "signin", form: { email, password: "", code: "" }, focus: "password" });
        say("Your account is confirmed: sign in.");
      } catch (error) {
        warn(error.message);
        update({ focus: "code" });
      }
    });
  },

  forgot(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ email }, ["email"])) return;
    return busy("forgot", async () => {
      say("Sending a code…");
      try {
        await cognito.forgotPassword(email);
        update({ screen: "reset", form: { email, password: "", code: "" }, focus: "code" });
        say(state.config.local ? "Now choose a new password." : `If ${email} has an account, a code is on its way to it.`);
      } catch (error) {
        warn(error.message);
      }
    });
  },

  resetPassword(values) {
    const email = String(values.email || "").trim();
    editForm("email", email);
    if (!need({ ...values, email }, ["email", "code", "password"]) || !passwordFollowsRules(values.password)) return;
    return busy("reset", async () => {
      say("Setting the new password…");
      try {
        await cognito.confirmForgotPassword(email, String(values.code).trim(), values.password);
        update({ screen: "signin", form: { email, password: "", code: "" }, focus: "password" });
        say("Your password is changed: sign in with it.");
      } catch (error) {
        warn(error.message);
      }
    });
  },

  async signOut() {
    const unsaved = Object.keys(state.drafts).filter(isDirty).length;
    if (unsaved && !state.signOutWarned) {
      const notes = unsaved === 1 ? "1 note" : `${unsaved} notes`;
      warn(`You have unsaved changes in ${notes}. Save them, or choose Sign out again to sign out and drop them.`);
      update({ signOutWarned: true });
      return;
    }
    say("Signing out…");
    let afterwards = "";
    let failure = null;
    if (session?.refreshToken) {
      try {
        await (oauth || cognito).revoke(session.refreshToken);
      } catch (error) {
        failure = error;
        afterwards = ` The sign-in service could not end the session (${error.message}); it ends by itself when it expires.`;
      }
    }
    forgetSession();
    forgetDrafts();
    session = null;
    list?.stopListing();
    yourData?.stop();
    setAddress(null);
    const news = `You are signed out.${afterwards}`;
    if (oauth?.signOut(news, failure)) return; // scoped mode: on the way to the pool's logout
    reset({ screen: "signin", focus: "screen-heading" });
    say(news);
  },

  retryStart() {
    start();
  },

  // --- the notes (and the list's own: notes-list.js) ---------------------------------------

  newNote() {
    clearMessages();
    update({ openId: "new", open: null, confirming: "", conflict: null, focus: "title" });
    setAddress("new");
  },

  openNote(id) {
    return openNote(id);
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
        const created = await api.createNote(fieldsOf(sent));
        dropDraft(id);
        list.removeNote(id);
        list.addNote(created.note, { openId: created.note.noteId, open: created, conflict: null, focus: "title" });
        setAddress(created.note.noteId);
        say("Saved as a new note.");
      } catch (error) {
        failed(error, "The note was not saved:");
      }
    });
  },

  async keepMine() {
    const id = state.conflict?.id;
    if (!id) return;
    try {
      const latest = await api.getNote(id);
      rebaseDraft(id, latest.etag); // the next Save replaces this version with the text kept
      list.replaceNote(latest.note);
      update({ open: latest, conflict: null, focus: "save" });
      say("Your text is kept. Save to replace the version saved elsewhere with yours.");
    } catch (error) {
      conflictOrFailure(error, id, "The latest version could not be read:");
    }
  },

  async reloadNote() {
    const id = state.conflict?.id || state.openId;
    try {
      const latest = await api.getNote(id);
      dropDraft(id);
      list.replaceNote(latest.note);
      update({ open: latest, conflict: null, confirming: "", focus: "title" });
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
      setAddress(null);
      say("The new note was discarded.");
      return;
    }
    return busy("delete", () => yourData.moveToTrash(id));
  },

  // --- the attachment ----------------------------------------------------------------------

  pickFile() {
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
    const id = state.openId;
    say("Preparing the download…");
    try {
      const link = await api.attachmentLink(id);
      const url = new URL(link.url);
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("the download address is not a web address.");
      // A navigation, not fetch: the file is saved under its name and the page stays.
      const anchor = h("a", { href: url.href, rel: "noopener noreferrer", hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      say(`Downloading “${link.name}” (${fileSize(link.size)}).`);
    } catch (error) {
      failed(error, "The file could not be downloaded:");
    }
  },

  removeAttachment() {
    const id = state.openId;
    if (!id || !state.open) return;
    update({ confirming: "" });
    return busy("remove", async () => {
      const before = state.open.etag;
      say("Removing the attachment…");
      try {
        await api.removeAttachment(id, before);
        const latest = await api.getNote(id);
        carryDraftForward(id, before, latest.etag);
        list.replaceNote(latest.note);
        if (state.openId === id) update({ open: latest, focus: "attach" });
        say("Attachment removed.");
      } catch (error) {
        conflictOrFailure(error, id, "The attachment was not removed:", "remove");
      }
    });
  },
};

// --- what the actions share ----------------------------------------------------------------

/** What your-data.js uses of the page. */
const wiring = {
  api: () => api,
  cognito: () => cognito,
  list: () => list,
  failed,
  conflictOrFailure,
  setAddress,
  sessionEnded,
  accessToken: () => session?.accessToken || "",
  renew: () => auth.renew(),
  scoped: () => oauth && state.config.oauth,
};

async function openNote(id) {
  clearMessages();
  const listed = state.notes.find((n) => n.noteId === id);
  update({
    openId: id,
    open: listed ? { note: listed, etag: `"${listed.version}"` } : null,
    confirming: "",
    conflict: state.conflict?.id === id ? state.conflict : null,
    focus: "editor-heading",
  });
  setAddress(id);
  try {
    const latest = await api.getNote(id);
    const shown = state.open?.note;
    if (shown && shown.noteId === id && shown.version === latest.note.version) return; // as listed
    list.replaceNote(latest.note);
    if (state.openId === id) update({ open: latest });
  } catch (error) {
    if (error.kind === "notfound") {
      const kept = state.drafts[id] && isDirty(id);
      list.removeNote(id, kept ? { conflict: { id, gone: true } } : { openId: null, open: null });
      if (!kept) setAddress(null);
    }
    failed(error, "The note could not be opened:");
  }
}

/** After a reload: the note named in the address (never a token, only a note's id) opens again. */
function openFromAddress() {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (state.screen !== "notes" || state.openId || !wanted) return;
  if (wanted === "new") actions.newNote();
  else if (wanted === "trash") actions.showTrash();
  else if (wanted === "account") actions.showAccount();
  else if (/^[0-9a-f-]{36}$/.test(wanted)) openNote(wanted);
}

function setAddress(id) {
  const address = id ? `#${encodeURIComponent(id)}` : location.pathname + location.search;
  history.replaceState(null, "", address);
}

function fieldsOf(typed) {
  return { title: typed.title, content: typed.content, tags: parseTags(typed.tags) };
}

async function save(id) {
  const sent = { ...editorFields(id) };
  say("Saving…");
  try {
    if (id === "new") {
      const created = await api.createNote(fieldsOf(sent));
      keepTypedSince(id, sent, created.etag, created.note.noteId);
      list.addNote(created.note, { openId: created.note.noteId, open: created, focus: "save" });
      setAddress(created.note.noteId);
    } else {
      const saved = await api.saveNote(id, fieldsOf(sent), state.drafts[id]?.etag || state.open.etag);
      keepTypedSince(id, sent, saved.etag, id);
      list.replaceNote(saved.note);
      if (state.openId === id) update({ open: saved, conflict: null });
    }
    say("Saved.");
  } catch (error) {
    conflictOrFailure(error, id, "The note was not saved:", "save");
  }
}

function conflictOrFailure(error, id, context, action = "save") {
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
    list.removeNote(id, { conflict: { id, action, gone: true }, focus: "conflict-heading" });
    warn(`This note was deleted elsewhere, so ${notDone(action)}. Your text is still here.`);
    return;
  }
  failed(error, context);
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
    const form = await api.requestUpload(id, { name, contentType, size: file.size });
    await sender.uploadFile(form, file, (loaded, total) => {
      if (!state.upload) return;
      uploadProgress(loaded, total);
      showProgress(state.upload);
    });
    const etag = state.openId === id && state.open ? state.open.etag : before;
    const attached = await api.attachUpload(id, form.uploadId, etag);
    carryDraftForward(id, etag, attached.etag);
    list.replaceNote(attached.note);
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

// --- starting ------------------------------------------------------------------------------

async function start() {
  update({ screen: "loading" });
  let config;
  try {
    config = await loadConfig();
    if (config.mode === "scoped" && !oauth) {
      const scoped = await import("./oauth.js").catch(() => {
        throw new Error("The page could not load its sign-in code (oauth.js): reload it.");
      });
      oauth = scoped.oauthClient(config);
    }
  } catch (error) {
    update({ screen: "fatal", fatal: error.message });
    warn(error.message);
    return;
  }
  clearMessages();
  update({ config });
  cognito = cognitoClient(config);
  api = apiClient(config, auth, {
    onWait: (seconds) => say(`The notes service is busy: trying again in ${seconds} s…`),
  });
  if (oauth) {
    const answer = returned;
    returned = null;
    return oauth.start(answer, signedIn);
  }
  const kept = loadSession(config.userPoolClientId);
  if (kept) signedIn(kept, null);
  else update({ screen: "signin" });
}

// Another window signed in, renewed or signed out: follow it.
addEventListener("storage", (event) => {
  if (event.key !== SESSION_KEY || !state.config) return;
  const now = oauth ? oauth.keptSession() : loadSession(state.config.userPoolClientId);
  if (now && session && now.sub === session.sub) session = now;
  else if (!now && session && whyEnded(event.newValue) === "deleted") {
    sessionEnded("Your account has been deleted, in another window: you are signed out.", { deleted: true });
  } else if (!now && session) sessionEnded("You signed out in another window.", { keepDrafts: false });
});

// Nothing fails silently: whatever escaped an action is said in words.
addEventListener("unhandledrejection", (event) => {
  failed(event.reason, "Something went wrong:");
});
addEventListener("error", (event) => {
  if (event.error) failed(event.error, "Something went wrong:");
});

onChange((current) => render(current, actions, { ...oauth?.screens, notes: notesScreen, ...yourData?.screens }));
document.documentElement.dataset.started = "true";
start();
