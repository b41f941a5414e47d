// The signed-in session: the user pool's tokens, kept in this browser's localStorage so that a
// reload stays signed in. Tokens never go into a URL; signing out forgets them. The API is sent
// the ID token, or in scoped mode the access token; the email shown is always the ID token's.

export const SESSION_KEY = "notes.session";
const EARLY_SECONDS = 30; // renew a little before the token's expiry, not after a refusal

/** The claims of a JWT, unchecked (the API checks them), or null when it is not one. */
export function claims(token) {
  try {
    const payload = String(token).split(".")[1];
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** True when the token's `exp` has passed, or is about to. */
export function isExpired(token, now = Date.now()) {
  const exp = claims(token)?.exp;
  return typeof exp !== "number" || exp * 1000 <= now + EARLY_SECONDS * 1000;
}

/** The stored session for this app client, or null. */
export function loadSession(clientId) {
  let stored = null;
  try {
    stored = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
  } catch {
    stored = null;
  }
  if (!stored || stored.clientId !== clientId || !stored.idToken || !stored.refreshToken) {
    return null;
  }
  return describe(stored);
}

export function saveSession(clientId, tokens, email = "") {
  const stored = {
    clientId,
    email: claims(tokens.idToken)?.email || email,
    idToken: tokens.idToken,
    accessToken: tokens.accessToken || "",
    refreshToken: tokens.refreshToken,
  };
  try {
    localStorage.setItem(SESSION_KEY, JSON.stringify(stored));
  } catch {
    // Storage full or refused (a private window): the session lasts until the page closes.
  }
  return describe(stored);
}

/** Forgets the session; `why` ("deleted": the account was) is told to the page's other windows. */
export function forgetSession(why = "") {
  try {
    if (why) localStorage.setItem(SESSION_KEY, JSON.stringify({ ended: why }));
    localStorage.removeItem(SESSION_KEY);
  } catch {
    // nothing was kept
  }
}

/** Why another window forgot the session, from the value it stored last ("" when it did not say). */
export function whyEnded(stored) {
  try {
    return String(JSON.parse(stored || "null")?.ended || "");
  } catch {
    return "";
  }
}

function describe(stored) {
  const idClaims = claims(stored.idToken) || {};
  return {
    idToken: stored.idToken,
    accessToken: stored.accessToken,
    refreshToken: stored.refreshToken,
    email: idClaims.email || stored.email || "",
    sub: idClaims.sub || "",
  };
}
