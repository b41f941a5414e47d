// The page's address. Its hash names the screen or the note open (#new, #trash, #account, a
// note's id; never a token), so that a reload opens it again. The pool's sign-in page comes back
// with ?code=…&state=… (or ?error=…): they leave the address before anything else is done, so that
// no code stays in the history or on screen. Part of a first visit: loaded with app.js.

import { state } from "./state.js";

const SIGN_IN_ANSWER = ["code", "state", "error", "error_description"];

/** What the pool's sign-in page answered in the address ({ code, state, error,
 * error_description }), taken out of it; null when the page was not reached from there. */
export function fromSignInPage() {
  const url = new URL(location.href);
  if (!SIGN_IN_ANSWER.some((name) => url.searchParams.has(name))) return null;
  const found = Object.fromEntries(SIGN_IN_ANSWER.map((name) => [name, url.searchParams.get(name) || ""]));
  for (const name of SIGN_IN_ANSWER) url.searchParams.delete(name);
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  return found;
}

/** The address names `id`: a note's id, "new", "trash" or "account"; nothing with null. */
export function setAddress(id) {
  const address = id ? `#${encodeURIComponent(id)}` : location.pathname + location.search;
  history.replaceState(null, "", address);
}

/** Once the notes are listed after a sign-in or a reload: what the address names opens again, as
 * `actions` open it (when the notes screen shows and no note is open). */
export function openFromAddress(actions) {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (state.screen !== "notes" || state.openId || !wanted) return;
  if (wanted === "new") actions.newNote();
  else if (wanted === "trash") actions.showTrash();
  else if (wanted === "account") actions.showAccount();
  else if (/^[0-9a-f-]{36}$/.test(wanted)) actions.openNote(wanted);
}
