// Signing in at the user pool's own sign-in page (scoped mode): the authorization code flow with
// PKCE (S256). The page goes to the pool's authorize URL; the pool comes back to the page with a
// code, which is exchanged for tokens at its token endpoint; the refresh token renews them and is
// revoked on sign-out. Loaded only in scoped mode. Every failure is an AuthError in words.

import { AuthError } from "./cognito.js";

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

export function oauthClient(config) {
  const { domain, clientId, scopes, redirectUri, logoutUri } = config.oauth;

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

  return {
    /** Off to the pool's sign-in page; `hash` (a note's address) is shown again on the way back. */
    async signIn(hash = "") {
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
    },

    /** The tokens for the pool's answer (`returned`: code, state, error from the address), and
     * the address to show. The sign-in under way is used once, whatever happens. */
    async finish(returned) {
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
    },

    /** New access and ID tokens; the refresh token stays the same. */
    async refresh(refreshToken) {
      return tokens(await post("/oauth2/token", { grant_type: "refresh_token", refresh_token: refreshToken }), refreshToken);
    },

    revoke(refreshToken) {
      return post("/oauth2/revoke", { token: refreshToken });
    },

    /** Ends the sign-in page's own session too; `news` is said once the page is back. */
    signOut(news) {
      storage("setItem", SIGNED_OUT_KEY, news);
      location.assign(`${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: logoutUri })}`);
    },

    /** What the sign-out said it would say on the way back, once. */
    signedOutNews() {
      const news = storage("getItem", SIGNED_OUT_KEY);
      storage("removeItem", SIGNED_OUT_KEY);
      return news || "";
    },
  };
}
