// Signing in at the user pool's own sign-in page (scoped mode): the authorization code flow with
// PKCE (S256). The page goes to the pool's authorize URL; the pool comes back to the page with a
// code, which is exchanged for tokens at its token endpoint; the refresh token renews them and is
// revoked on sign-out. Every failure is an AuthError in words.
//
// Loaded only in scoped mode (app.js imports it then), so what that mode alone needs is here too:
// the check of config.oauth, the sign-in screen (drawn as screens.js draws the others), the page's
// start once back from the pool's page, and the way out through its logout. They change the state
// through state.js, as the page's other actions do, and hand a session to app.js's signedIn.

import { AuthError } from "./cognito.js";
import { ConfigError } from "./config.js";
import { h } from "./dom.js";
import { card, clearMessages, say, warn } from "./screens.js";
import { loadSession, saveSession } from "./session.js";
import { reset, update } from "./state.js";

const SETTINGS = ["domain", "clientId", "scopes", "redirectUri", "logoutUri"]; // config.oauth's

const PENDING_KEY = "notes.signin"; // sessionStorage: { state, verifier, hash } of the sign-in under way
const SIGNED_OUT_KEY = "notes.signedout"; // sessionStorage: what to say once back from the pool's logout
const TIMEOUT_MS = 15000;

const REFUSALS = {
  access_denied: "The sign-in was refused or cancelled at the sign-in page",
  invalid_request: "The sign-in page refused this page's request",
  unauthorized_client: "The sign-in page does not let this page sign in",
  invalid_scope: "The sign-in page refused the permissions this page asks for",
  server_error: "The sign-in page failed",
  temporarily_unavailable: "The sign-in page is unavailable for now",
};

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const random = (size) => base64url(crypto.getRandomValues(new Uint8Array(size)));

function storage(method, ...args) {
  try {
    return sessionStorage[method](...args);
  } catch {
    return null; // storage refused: the sign-in cannot be checked, so it fails in words
  }
}

/** The pool's sign-in page as config.oauth (of config.js's `config`) names it; a ConfigError, in
 * config.js's words, when config.oauth lacks a setting. */
export function oauthClient(config) {
  const settings = config.oauth;
  const unset = SETTINGS.filter((name) => typeof settings?.[name] !== "string" || !settings[name]);
  if (unset.length) {
    throw new ConfigError(`The page's settings (config.json) are for scoped mode but lack oauth.${unset.join(", oauth.")}.`);
  }
  const { clientId, scopes, redirectUri, logoutUri } = settings;
  const domain = settings.domain.replace(/\/+$/, "");

  async function post(path, fields) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(`${domain}${path}`, {
        method: "POST",
        body: new URLSearchParams({ client_id: clientId, ...fields }),
        headers: { Accept: "application/json" },
        signal: controller.signal,
        credentials: "omit",
      });
    } catch (error) {
      const late = error && error.name === "AbortError";
      const where = navigator.onLine === false ? "You seem to be offline: " : "";
      throw new AuthError(
        late
          ? `The sign-in service did not answer within ${TIMEOUT_MS / 1000} seconds: try again.`
          : `${where}the sign-in service (${domain}) cannot be reached. Check the connection and try again.`,
        { unreachable: true },
      );
    } finally {
      clearTimeout(timer);
    }
    let answer = null;
    try {
      answer = JSON.parse((await response.text()) || "{}");
    } catch {
      answer = null;
    }
    if (response.ok && answer) return answer;
    const type = String(answer?.error || "");
    const words =
      type === "invalid_grant"
        ? "The sign-in is no longer valid (it was used already, has expired, or was ended): sign in again."
        : `The sign-in service refused (${type || response.status}): sign in again.`;
    throw new AuthError(words, { type: type || "UnknownError", status: response.status });
  }

  function tokens(answer, previous = "") {
    if (!answer.access_token || !answer.id_token) {
      throw new AuthError("The sign-in service answered without the tokens this page needs: sign in again.", { type: "NoTokens" });
    }
    return { idToken: answer.id_token, accessToken: answer.access_token, refreshToken: answer.refresh_token || previous };
  }

  /** The tokens for the pool's answer (`returned`: code, state, error from the address), and
   * the address to show. The sign-in under way is used once, whatever happens. */
  async function exchange(returned) {
    let pending = null;
    try {
      pending = JSON.parse(storage("getItem", PENDING_KEY) || "null");
    } catch {
      pending = null;
    }
    storage("removeItem", PENDING_KEY);
    if (!pending || !returned.state || returned.state !== pending.state) {
      throw new AuthError(
        "The answer from the sign-in page does not belong to a sign-in started here (its state does not match), so it was not used. Sign in again.",
        { type: "state" },
      );
    }
    if (returned.error) {
      const words = REFUSALS[returned.error] || "The sign-in page could not sign you in";
      throw new AuthError(`${words} (${returned.error.slice(0, 60)}): sign in again.`, { type: returned.error });
    }
    if (!returned.code) {
      throw new AuthError("The sign-in page came back without a code: sign in again.", { type: "code" });
    }
    const answer = await post("/oauth2/token", {
      grant_type: "authorization_code",
      code: returned.code,
      redirect_uri: redirectUri,
      code_verifier: pending.verifier,
    });
    return { tokens: tokens(answer), hash: typeof pending.hash === "string" ? pending.hash : "" };
  }

  /** The session kept in this browser for this app client (one with an access token), or null. */
  function keptSession() {
    const kept = loadSession(clientId);
    return kept?.accessToken ? kept : null;
  }

  /** Back from the pool's sign-in page: its code becomes the session. */
  async function finishSignIn(returned, signedIn) {
    update({ screen: "loading" });
    say("Signing in…");
    try {
      const { tokens: got, hash } = await exchange(returned);
      const session = saveSession(clientId, got);
      if (hash) history.replaceState(null, "", location.pathname + location.search + hash);
      clearMessages(); // the header says who is signed in
      signedIn(session, "notes-heading");
    } catch (error) {
      // Back at an old answer (the browser's Back button) while signed in: the session goes on.
      const kept = keptSession();
      if (kept) {
        clearMessages();
        signedIn(kept, null);
        if (error.type !== "state") warn(error.message);
        return;
      }
      update({ screen: "signin", focus: "sign-in" });
      warn(`You are not signed in. ${error.message}`);
    }
  }

  return {
    /** The app client whose tokens the session holds. */
    clientId,
    keptSession,

    /** The screens drawn this mode's way, by name (screens.js's render). */
    screens: { signin: signInScreen },

    /** Off to the pool's sign-in page; `hash` (a note's address) is shown again on the way back.
     * What stops it is said in words. */
    async signIn(hash = "") {
      say("Going to the sign-in page…");
      try {
        const verifier = random(32);
        const state = random(16);
        const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
        storage("setItem", PENDING_KEY, JSON.stringify({ state, verifier, hash }));
        const query = new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: redirectUri,
          scope: scopes,
          state,
          code_challenge: challenge,
          code_challenge_method: "S256",
        });
        location.assign(`${domain}/oauth2/authorize?${query}`);
      } catch (error) {
        warn(`The sign-in page could not be opened: ${error.message}`);
      }
    },

    /** The page's start, once the settings are read: back from the pool's sign-in page with its
     * answer (`returned`, see exchange), signed in already, or to sign in. A session found is
     * handed to `signedIn` (app.js's). */
    start(returned, signedIn) {
      if (returned) return finishSignIn(returned, signedIn);
      const kept = keptSession();
      if (kept) return signedIn(kept, null);
      update({ screen: "signin" });
      const news = storage("getItem", SIGNED_OUT_KEY); // what the sign-out said it would say, once
      storage("removeItem", SIGNED_OUT_KEY);
      if (news) say(news);
    },

    /** New access and ID tokens; the refresh token stays the same. */
    async refresh(refreshToken) {
      return tokens(await post("/oauth2/token", { grant_type: "refresh_token", refresh_token: refreshToken }), refreshToken);
    },

    revoke(refreshToken) {
      return post("/oauth2/revoke", { token: refreshToken });
    },

    /** After signing out here: ends the sign-in page's own session too, and true, unless the
     * revocation found the pool unreachable (`failure`). `news` is said once the page is back. */
    signOut(news, failure) {
      if (failure?.unreachable) return false;
      reset({ screen: "loading" });
      say("Signing out…");
      storage("setItem", SIGNED_OUT_KEY, news);
      location.assign(`${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: logoutUri })}`);
      return true;
    },
  };
}

/** The sign-in screen: passwords are typed only into the pool's own sign-in page, where signing up is too. */
function signInScreen(state, actions) {
  return card(
    "Sign in",
    h("p", {}, "You sign in on the sign-in page of your notes' accounts, then come back here."),
    h("p", { class: "hint" }, "New here? Choose Sign in, then Sign up on the sign-in page."),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          class: "primary",
          id: "sign-in",
          "aria-busy": state.busy === "signin" ? "true" : null,
          on: { click: actions.signInAtPool },
        },
        "Sign in",
      ),
    ),
  );
}
