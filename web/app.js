// The page's start-up and its session. It reads the stage's settings (config.json: state.config;
// in scoped mode, config.mode, it loads oauth.js, and the page signs in at the pool's own sign-in
// page and sends the API the access token), makes the clients of the pool and the API, keeps the
// session (renewed, ended, followed from the page's other windows) and draws each change of the
// state (screens.js). The actions a person takes come from the modules that own them: signing up
// and in (sign-in.js) on a first visit; as the password is typed (or at sign-in, while the pool
// checks it), the signed-in screens are loaded with theirs (SIGNED_IN: the notes, the note open,
// the trash, the account, the device's copy of the notes), and the API's client. The address
// keeps the screen open (address.js).

import { fromSignInPage, openFromAddress, setAddress } from "./address.js";
import { cognitoClient } from "./cognito.js";
import { loadConfig } from "./config.js";
import { h } from "./dom.js";
import { clearMessages, render, say, warn } from "./screens.js";
import { SESSION_KEY, forgetSession, isExpired, loadSession, saveSession, whyEnded } from "./session.js";
import { signInActions } from "./sign-in.js";
import { PLAIN, forgetDrafts, isDirty, loadDrafts, onChange, reset, state, storeDrafts, update } from "./state.js";

// The modules loaded at sign-in, with those they import, all asked for at once: a failure names
// the first that failed, in this order (trash.js and account.js need notes-screen.js).
// The API's client (api.js) is one of them: a first visit, signed out, does without it.
const SIGNED_IN = [
  "notes-screen.js",
  "note-actions.js",
  "trash.js",
  "account.js",
  "sync.js",
  "api.js",
  "notes-list.js",
  "words.js",
  "device.js",
];

let returned = fromSignInPage(); // scoped mode: the pool's sign-in page's answer, if any

let cognito = null;
let oauth = null; // scoped mode: the pool's sign-in page (oauth.js)
let api = null;
let session = null; // { idToken, accessToken, refreshToken, email, sub }
let renewing = null;
// The first six of SIGNED_IN, once loaded: the notes screen and its list, the note open's
// actions, the trash, the account, the device's copy of the notes (sync.js) and the API's client.
let list, noteOpen, trash, account, sync, apiModule;
let signedInScreens = {}; // their screens, by name
let loadingNotesScreen = null;

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

/** Loads the signed-in screens, their actions and their stylesheet (once; again after a failure). */
function loadNotesScreen() {
  loadingNotesScreen ||= Promise.allSettled([
    stylesheet("notes-screen.css"),
    ...SIGNED_IN.map((name) => import(`./${name}`)),
  ])
    .then(([, ...settled]) => {
      const broken = settled.findIndex((result) => result.status === "rejected");
      if (broken >= 0) throw new Error(SIGNED_IN[broken]);
      [list, noteOpen, trash, account, sync, apiModule] = settled.map((result) => result.value);
      api = apiModule.apiClient(state.config, auth, {
        onWait: (seconds) => say(`The notes service is busy: trying again in ${seconds} s…`),
        // Whether the API answers: without an answer, the page works from the device's copy (sync.js).
        onAnswer: () => sync.reached(),
        onUnreachable: () => sync.cannotReach(),
      });
      Object.assign(
        actions,
        list.listActions({ api: () => api, sync: () => sync, failed, setAddress }),
        noteOpen.noteActions(wiring),
        trash.trashActions(wiring),
        account.accountActions(wiring),
      );
      signedInScreens = { notes: list.notesScreen, syncState: list.syncState, ...trash.screens, ...account.screens };
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
    reading: null,
    open: null,
    conflict: null,
    confirming: "",
    signOutWarned: false,
    focus,
  });
  sync.startSync(wiring, newSession);
  list.loadNotes(false).then(() => {
    openFromAddress(actions);
    actions.afterFirstPage();
  });
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
  stopWaiting({ forget: !keepDrafts });
  if (deleted) setAddress(null); // whoever signs in next starts at their notes
  reset({ screen: "signin", form: { email, password: "", code: "" }, focus: oauth ? "sign-in" : email ? "password" : "email" });
  const kept = keepDrafts && unsaved ? " Your unsaved changes are kept for when you sign in again." : "";
  tell(`${message}${kept}`);
}

/** Says what failed, in words; a failure of the session itself sends the person to sign in. */
function failed(error, context) {
  if (error?.name === "ApiError" && (error.kind === "expired" || error.kind === "unauthorized" || error.kind === "deleted")) {
    sessionEnded(error.message, { deleted: error.kind === "deleted" });
    return;
  }
  const words = error && error.message ? error.message : String(error);
  warn(context ? `${context} ${words}` : words);
}

/** What the signed-in modules (note-actions.js, trash.js, account.js) use of the page. */
const wiring = {
  api: () => api,
  cognito: () => cognito,
  list: () => list,
  failed,
  setAddress,
  sessionEnded,
  sync: () => sync,
  /** A token the API takes now: the session's, renewed first when it has expired. */
  token: () => (isExpired(auth.token()) ? auth.renew() : Promise.resolve(auth.token())),
  conflictOrFailure: (...args) => noteOpen.conflictOrFailure(...args),
  moveToTrash: (id) => trash.moveToTrash(id),
  accessToken: () => session?.accessToken || "",
  renew: () => auth.renew(),
  scoped: () => oauth && state.config.oauth,
};

/** Signed out: no listing, nor export, is waited for any more, nor the notes' changes;
 * `forget`: this device's copy of the notes is deleted, with the changes waiting to be sent. */
function stopWaiting({ forget = false } = {}) {
  list?.stopListing();
  trash?.stop();
  account?.stop();
  return sync?.stopSync({ forget });
}

// --- the actions ---------------------------------------------------------------------------

/** Every action a person can take: the page's own below, the others added by their modules. */
const actions = {
  ...signInActions({ cognito: () => cognito, oauth: () => oauth, signedIn, loadNotesScreen }),

  async signOut() {
    const unsaved = Object.keys(state.drafts).filter(isDirty).length;
    if ((unsaved || state.waiting) && !state.signOutWarned) {
      const notes = unsaved === 1 ? "1 note" : `${unsaved} notes`;
      const waiting = sync.unsent(); // changes made offline, not sent yet, in words
      const what = [unsaved ? `You have unsaved changes in ${notes}.` : "", waiting].filter(Boolean).join(" ");
      const keep = unsaved && waiting ? "Save them and go online" : unsaved ? "Save them" : "Go online to send them";
      warn(`${what} ${keep}, or choose Sign out again to sign out and drop them.`);
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
    await stopWaiting({ forget: true });
    setAddress(null);
    const news = `You are signed out.${afterwards}`;
    if (oauth?.signOut(news, failure)) return; // scoped mode: on the way to the pool's logout
    reset({ screen: "signin", focus: "screen-heading" });
    say(news);
  },

  retryStart() {
    start();
  },

  // --- between the screens -----------------------------------------------------------------

  /** Back from the trash or the account: the notes as they were (read again if one came back
   * from the trash, or if their listing did not finish meanwhile). */
  showNotes() {
    clearMessages();
    account.leave();
    const stale = trash.leave();
    update({ screen: "notes", confirming: "", trash: null, focus: "notes-heading" });
    setAddress(state.openId);
    if (stale || state.listState !== "loaded") return list.loadNotes(false);
  },
};

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

onChange((current) => render(current, actions, { ...oauth?.screens, ...signedInScreens }));
document.documentElement.dataset.started = "true";
start();
