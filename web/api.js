// The notes API: the only module that knows its URLs. Every request carries the session's token
// (the ID token; in scoped mode the access token); every write of a note carries If-Match, and
// deleting the account the email it confirms (X-Confirm-Delete). A 503
// is tried again after its Retry-After (twice at most), a refused token is renewed once with the
// refresh token and sent again, and every failure becomes an ApiError whose message is meant for
// people.
//
// A token refused though it has not expired, whose session the pool then refuses to renew, is a
// deleted account's: the API refuses a token that is not expired only when it is not one of the
// stage's (never the case of a token its own pool gave this page) or when its account's deletion
// was asked for, and deleting the user in the pool is the deletion's first step. A renewed token
// refused again is only "no longer valid": the pool may not have deleted the user yet, or the
// stage refuses every token. An expired token whose renewal is refused says nothing more than
// that the session is over.

import { isExpired } from "./session.js";

const TIMEOUT_MS = 20000;
const RETRIES_ON_503 = 2;
const LONGEST_WAIT_SECONDS = 10;
const EXPIRED = "The incoming token has expired";

export class ApiError extends Error {
  // kind: unreachable | expired | unauthorized | deleted | conflict | notfound | unavailable | refused | failed
  constructor(message, { status = 0, code = "", kind = "failed" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.kind = kind;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const notePath = (id) => `/notes/${encodeURIComponent(id)}`;
const trashPath = (id) => `/trash/${encodeURIComponent(id)}`;

/**
 * auth: { token() → the current token, renew() → a new one (or throws) }
 * onWait(seconds): told before waiting out a 503, so that the page can say so.
 * onAnswer(), onUnreachable(): told when the API answered a request, or could not be reached.
 */
export function apiClient(config, auth, { onWait = () => {}, onAnswer = () => {}, onUnreachable = () => {} } = {}) {
  /** A new token; `refusedAlive`: the API has just refused one that had not expired. */
  async function renew(refusedAlive = false) {
    try {
      return await auth.renew();
    } catch (error) {
      if (error && error.unreachable) {
        throw new ApiError(error.message, { kind: "unreachable" });
      }
      if (refusedAlive) {
        throw new ApiError("Your account has been deleted, from another window or device: you are signed out.", {
          status: 401,
          kind: "deleted",
        });
      }
      throw new ApiError("Your session has expired: sign in again.", { status: 401, kind: "expired" });
    }
  }

  async function send(method, path, token, { body, ifMatch, confirm }) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch) headers["If-Match"] = ifMatch;
    if (confirm) headers["X-Confirm-Delete"] = confirm;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(`${config.apiUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        credentials: "omit",
        cache: "no-store",
      });
      onAnswer();
      return response;
    } catch (error) {
      onUnreachable();
      if (error && error.name === "AbortError") {
        throw new ApiError(`The notes service did not answer within ${TIMEOUT_MS / 1000} seconds: try again.`, {
          kind: "unreachable",
        });
      }
      const offline = navigator.onLine === false ? "You seem to be offline: " : "";
      throw new ApiError(
        `${offline}the notes service (${config.apiUrl}) cannot be reached. Check the connection and try again.`,
        { kind: "unreachable" },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(method, path, options = {}) {
    let token = auth.token();
    let renewed = false;
    if (!token || isExpired(token)) {
      token = await renew();
      renewed = true;
    }
    for (let attempt = 0; ; attempt += 1) {
      const response = await send(method, path, token, options);
      const answer = await readJson(response);
      if (response.ok) {
        return { data: answer, etag: response.headers.get("ETag") || "", status: response.status };
      }
      const said = (answer && (answer.Message || answer.message)) || "";
      if (response.status === 401 && !renewed) {
        token = await renew(said !== EXPIRED && !isExpired(token));
        renewed = true;
        attempt -= 1; // a renewal is not one of the 503 retries
        continue;
      }
      if (response.status === 503 && attempt < RETRIES_ON_503) {
        const seconds = retryAfter(response.headers.get("Retry-After"));
        onWait(seconds);
        await sleep(seconds * 1000);
        continue;
      }
      throw failure(response.status, answer, said);
    }
  }

  const note = ({ data, etag }) => ({ note: data, etag: etag || `"${data.version}"` });

  async function page(path, cursor, limit, asked = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    for (const [name, value] of Object.entries({ ...asked, cursor })) if (value) query.set(name, value);
    const { data } = await request("GET", `${path}?${query}`);
    return { notes: data.notes || [], nextCursor: data.nextCursor ?? null };
  }

  return {
    /** One page of the notes; `search`: words (`q`), a tag and an order, the cursor's own. */
    listNotes(cursor = null, limit = 20, { q = "", tag = "", sort = "created" } = {}) {
      return page("/notes", cursor, limit, { q, tag, sort: sort === "created" ? "" : sort });
    },
    async getNote(id) {
      return note(await request("GET", notePath(id)));
    },
    async createNote(fields) {
      return note(await request("POST", "/notes", { body: fields }));
    },
    async saveNote(id, fields, etag) {
      return note(await request("PUT", notePath(id), { body: fields, ifMatch: etag }));
    },
    async deleteNote(id, etag) {
      await request("DELETE", notePath(id), { ifMatch: etag });
    },
    async requestUpload(id, file) {
      const { data } = await request("POST", `${notePath(id)}/attachment`, { body: file });
      return data;
    },
    async attachUpload(id, uploadId, etag) {
      return note(await request("PUT", `${notePath(id)}/attachment`, { body: { uploadId }, ifMatch: etag }));
    },
    async attachmentLink(id) {
      const { data } = await request("GET", `${notePath(id)}/attachment`);
      return data;
    },
    async removeAttachment(id, etag) {
      await request("DELETE", `${notePath(id)}/attachment`, { ifMatch: etag });
    },
    /** One page of the trash, most recently deleted first (each note with deletedAt, purgeAt). */
    listTrash(cursor = null, limit = 20) {
      return page("/trash", cursor, limit);
    },
    async restoreNote(id) {
      return note(await request("POST", `${trashPath(id)}/restore`));
    },
    async purgeNote(id) {
      await request("DELETE", trashPath(id));
    },
    async startExport() {
      return (await request("POST", "/exports")).data;
    },
    async exportStatus(id) {
      return (await request("GET", `/exports/${encodeURIComponent(id)}`)).data;
    },
    /** The change feed after `since` (from the start without it): { changes, cursor, more }. */
    async changes(since = null, limit = 100) {
      const query = new URLSearchParams({ limit: String(limit) });
      if (since) query.set("since", since);
      return (await request("GET", `/changes?${query}`)).data;
    },
    async deleteAccount(email) {
      await request("DELETE", "/me", { confirm: email });
    },

    // --- a note's history and its link ------------------------------------------------------

    /** One page of the note's earlier versions, newest first: { versions, nextCursor }. */
    async versions(id, cursor = null, limit = 20) {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor) query.set("cursor", cursor);
      const { data } = await request("GET", `${notePath(id)}/versions?${query}`);
      return { versions: data.versions || [], nextCursor: data.nextCursor ?? null };
    },
    /** One earlier version as it was: { noteId, title, content, tags, version, updatedAt }. */
    async version(id, version) {
      return (await request("GET", `${notePath(id)}/versions/${encodeURIComponent(version)}`)).data;
    },
    /** The version's text becomes the note's, if the note is still at `etag`: the note, as saved. */
    async restoreVersion(id, version, etag) {
      return note(await request("POST", `${notePath(id)}/versions/${encodeURIComponent(version)}/restore`, { ifMatch: etag }));
    },
    /** A new read-only link for `days` days (any earlier one stops): { shareId, url, expiresAt }. */
    async share(id, days) {
      return (await request("POST", `${notePath(id)}/share`, { body: { expiresInDays: days } })).data;
    },
    /** The note's live link; an ApiError of kind "notfound" when it has none. */
    async sharedLink(id) {
      return (await request("GET", `${notePath(id)}/share`)).data;
    },
    async stopSharing(id) {
      await request("DELETE", `${notePath(id)}/share`);
    },
    /** One page of the live links: { notes: [{ noteId, shareId, url, expiresAt }], nextCursor }. */
    listShares(cursor = null, limit = 100) {
      return page("/shares", cursor, limit);
    },
  };
}

async function readJson(response) {
  try {
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function retryAfter(header) {
  const seconds = Number.parseInt(header || "", 10);
  if (Number.isNaN(seconds) || seconds < 0) return 1;
  return Math.min(seconds, LONGEST_WAIT_SECONDS);
}

function failure(status, answer, said) {
  const code = (answer && answer.Code) || "";
  const sentence = said ? said.charAt(0).toUpperCase() + said.slice(1) : "";
  if (status === 401) {
    return said === EXPIRED
      ? new ApiError("Your session has expired: sign in again.", { status, kind: "expired" })
      : new ApiError("Your session is no longer valid: sign in again.", { status, kind: "unauthorized" });
  }
  if (status === 412) {
    return new ApiError("This note was changed elsewhere since you opened it.", { status, code, kind: "conflict" });
  }
  if (status === 404) {
    return new ApiError("This note no longer exists: it may have been deleted elsewhere.", { status, code, kind: "notfound" });
  }
  if (status === 503) {
    return new ApiError("The notes service is unavailable right now (503), even after waiting: try again in a moment.", {
      status,
      code,
      kind: "unavailable",
    });
  }
  if (status >= 400 && status < 500) {
    return new ApiError(sentence || `The notes service refused the request (${status}).`, { status, code, kind: "refused" });
  }
  if (status === 502 || status === 504) {
    return new ApiError(`The notes service did not answer in time (${status}): try again.`, { status, code, kind: "unavailable" });
  }
  return new ApiError(`The notes service failed (${status}): try again later.`, { status, code, kind: "failed" });
}
