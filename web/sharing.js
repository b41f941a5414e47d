// Sharing a note, signed in: "Share" on the note read opens a box below its heading with the
// note's live link (GET /notes/{id}/share), in a read-only field with "Copy link" and the time it
// expires, and "Stop sharing"; or, when it has none, the choice of how long a new link lasts (1 to
// 365 days, 30 by default) and "Make a link". Making one again replaces the link, which the box
// says: the earlier one stops working. The list marks each shared note ("Shared"), from GET
// /shares read a moment after the first page of notes is shown (so that signing in never waits
// for it), kept as links are made and stopped here. Sharing needs the network, and a note the
// API has: offline, or for a note made offline and not sent, the page says so. Loaded by
// note-actions.js when one of its actions is first taken (the marks' reading, after the first page
// of notes): it adds its box to notes-screen.js's views, which draws it, and the marks. What a
// link opens is shared-page.js's.
//
// state.sharing: null, or { noteId, state (loading | loaded | error), link: null or { shareId,
// url, expiresAt }, days }. state.shares: null until read, then { noteId: its live link }.

import { h } from "./dom.js";
import { views, when } from "./notes-screen.js";
import { clearMessages, noteLabel, say, warn } from "./screens.js";
import { busy, state, update } from "./state.js";

export const DAYS = [1, 7, 30, 90, 365];
const DEFAULT_DAYS = 30;
const SHARES_AFTER_MS = 1000; // after the first page of notes is shown, as sync.js starts
const SHARES_RETRY_MS = 15 * 1000;
const SHARES_PAGES = 20; // of 100 links

// app.js's wiring: { api(), sync(), failed }
let app = null;
let sharesTimer = 0;
let asking = 0; // the latest reading of a note's link: the answer to an earlier one is dropped
let changedHere = null; // while GET /shares is read: the links made or stopped meanwhile

/** The actions of the share box and the marks, reaching the API through `wiring`. */
export function sharingActions(wiring) {
  app = wiring;
  return actions;
}

const actions = {
  /** The share box of the note read: its live link read, or the way to make one. */
  async showShare() {
    const id = state.openId;
    if (!id || id === "new" || !state.open || !reachable(id)) return;
    clearMessages();
    const asked = ++asking;
    update({ sharing: { noteId: id, state: "loading", link: null, days: DEFAULT_DAYS }, confirming: "", focus: "share-heading" });
    try {
      const link = await app.api().sharedLink(id);
      if (asked === asking && state.sharing?.noteId === id) update({ sharing: { ...state.sharing, state: "loaded", link } });
      mark(id, link);
    } catch (error) {
      if (error.kind === "notfound") {
        if (asked === asking && state.sharing?.noteId === id) update({ sharing: { ...state.sharing, state: "loaded", link: null } });
        mark(id, null);
        return;
      }
      if (asked === asking && state.sharing?.noteId === id) update({ sharing: { ...state.sharing, state: "error" } });
      failed(error, "This note's link could not be read:");
    }
  },

  closeShare() {
    asking += 1;
    update({ sharing: null, focus: "share-note" });
  },

  /** How long the next link lasts, as chosen. */
  shareDays(value) {
    const days = Number(value);
    if (state.sharing && DAYS.includes(days)) update({ sharing: { ...state.sharing, days } });
  },

  /** A new link for the days chosen; any earlier one stops working. */
  makeLink() {
    const shown = state.sharing;
    if (!shown || shown.state !== "loaded" || !reachable(shown.noteId)) return;
    return busy("share", async () => {
      const id = shown.noteId;
      const replaced = Boolean(shown.link);
      say(replaced ? "Making a new link…" : "Making a link…");
      try {
        const link = await app.api().share(id, shown.days);
        mark(id, link);
        if (state.sharing?.noteId !== id) return;
        asking += 1;
        update({ sharing: { ...state.sharing, state: "loaded", link }, focus: "copy-link" });
        const until = `until ${new Date(link.expiresAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}`;
        say(
          replaced
            ? `A new link is made, ${until}: the earlier link no longer opens the note.`
            : `The link is made: anyone who has it can read this note ${until}.`,
        );
      } catch (error) {
        failed(error, "The link was not made:");
      }
    });
  },

  /** The link, in the clipboard; else selected in its field, to be copied by hand. */
  async copyLink() {
    const url = state.sharing?.link?.url;
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      say("The link is copied.");
    } catch {
      const field = document.getElementById("share-url");
      field?.focus();
      field?.select();
      say("The link is selected: copy it with Ctrl+C (⌘C on a Mac).");
    }
  },

  /** The link stops: it opens nothing any more. */
  stopSharing() {
    const shown = state.sharing;
    if (!shown?.link || !reachable(shown.noteId)) return;
    return busy("unshare", async () => {
      const id = shown.noteId;
      say("Stopping the link…");
      try {
        await app.api().stopSharing(id);
        say("Sharing is stopped: the link no longer opens this note.");
      } catch (error) {
        if (error.kind !== "notfound") {
          failed(error, "Sharing was not stopped:");
          return;
        }
        say("This note was not shared any more: its link had expired or was stopped elsewhere.");
      }
      mark(id, null);
      if (state.sharing?.noteId === id) update({ sharing: { ...state.sharing, link: null }, focus: "share-heading" });
    });
  },

  /** The marks of the shared notes, read a moment after the first page of notes is shown. */
  followShares() {
    clearTimeout(sharesTimer);
    const sub = state.user?.sub;
    if (sub) sharesTimer = setTimeout(() => loadShares(sub), SHARES_AFTER_MS);
  },
};

/** Sharing needs the network, and a note the API has: otherwise the page says so (false). */
function reachable(id) {
  const device = app.sync();
  if (device?.madeHere(id)) {
    warn("This note was made offline and is not sent yet: share it once it is sent.");
    return false;
  }
  if (state.offline || device?.offline()) {
    warn("Sharing needs the network: you are offline. Share this note once you are back online.");
    return false;
  }
  return true;
}

function failed(error, context) {
  if (error.kind === "unreachable") {
    warn(`${context} sharing needs the network, and the notes service cannot be reached. Try again once you are back online.`);
    return;
  }
  app.failed(error, context);
}

/** The list's mark of note `id`: its live link, or none (null). */
function mark(id, link) {
  changedHere?.set(id, link);
  if (!state.shares && !link) return;
  const shares = { ...state.shares };
  if (link) shares[id] = link;
  else delete shares[id];
  update({ shares });
}

/** Every live link (GET /shares, page after page), for `sub` while signed in; again a while
 * later when the API cannot be reached. */
async function loadShares(sub) {
  if (state.user?.sub !== sub) return;
  changedHere = new Map();
  const shares = {};
  try {
    let cursor = null;
    for (let pages = 0; pages < SHARES_PAGES; pages += 1) {
      const page = await app.api().listShares(cursor);
      for (const link of page.notes) shares[link.noteId] = link;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (error.kind === "unreachable" && state.user?.sub === sub) sharesTimer = setTimeout(() => loadShares(sub), SHARES_RETRY_MS);
    else if (["expired", "unauthorized", "deleted"].includes(error.kind)) app.failed(error);
    return;
  } finally {
    const meanwhile = changedHere;
    changedHere = null;
    for (const [id, link] of meanwhile) {
      if (link) shares[id] = link;
      else delete shares[id];
    }
  }
  // Drawn again only when a mark changes: most lists have none, and a redraw for nothing would
  // come a second after every sign-in.
  if (state.user?.sub === sub && !sameMarks(state.shares || {}, shares)) update({ shares });
}

/** Whether two sets of links mark the same notes until the same times. */
function sameMarks(one, other) {
  const ids = Object.keys(one);
  return ids.length === Object.keys(other).length && ids.every((id) => one[id].expiresAt === other[id]?.expiresAt);
}

// --- drawing -------------------------------------------------------------------------------

/** The share box of the note read, below its heading. */
export function shareBox(state, actions, note) {
  const shown = state.sharing;
  let body;
  if (shown.state === "loading") {
    body = h("p", { class: "hint" }, "Looking for this note's link…");
  } else if (shown.state === "error") {
    body = h(
      "p",
      {},
      "This note's link could not be read. ",
      h("button", { type: "button", id: "retry-share", on: { click: actions.showShare } }, "Try again"),
    );
  } else if (shown.link) {
    body = [
      h(
        "p",
        { id: "share-expires" },
        "Anyone who has this link can read the note as it is now, without signing in, until ",
        when(shown.link.expiresAt),
        ".",
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "share-url" }, "Link"),
        h("input", {
          id: "share-url",
          type: "text",
          readonly: true,
          value: shown.link.url,
          spellcheck: "false",
          "aria-describedby": "share-expires",
          on: { focus: (event) => event.target.select() },
        }),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "copy-link", class: "primary", on: { click: actions.copyLink } }, "Copy link"),
        h(
          "button",
          {
            type: "button",
            id: "stop-sharing",
            class: "danger",
            "aria-busy": state.busy === "unshare" ? "true" : null,
            on: { click: actions.stopSharing },
          },
          "Stop sharing",
        ),
      ),
      newLink(state, actions, shown, true),
    ];
  } else {
    body = [
      h(
        "p",
        {},
        "This note is not shared. A link lets anyone who has it read the note, without signing in, until it expires or you stop sharing.",
      ),
      newLink(state, actions, shown, false),
    ];
  }
  return h(
    "section",
    { id: "share", class: "share", "aria-labelledby": "share-heading", "aria-busy": shown.state === "loading" ? "true" : null },
    h(
      "div",
      { class: "note-head" },
      h("h3", { id: "share-heading", tabindex: "-1" }, `Share “${noteLabel(note)}”`),
      h("button", { type: "button", id: "close-share", on: { click: actions.closeShare } }, "Close"),
    ),
    body,
  );
}

/** How long a new link lasts, and the button that makes it (replacing the live one: `again`). */
function newLink(state, actions, shown, again) {
  return h(
    "div",
    { class: "share-new" },
    h(
      "div",
      { class: "field share-days" },
      h("label", { for: "share-days" }, again ? "A new link expires after" : "The link expires after"),
      h(
        "select",
        { id: "share-days", name: "days", on: { change: (event) => actions.shareDays(event.target.value) } },
        DAYS.map((days) => h("option", { value: String(days), selected: days === shown.days }, days === 1 ? "1 day" : `${days} days`)),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          id: "make-link",
          class: again ? null : "primary",
          "aria-describedby": again ? "new-link-hint" : null,
          "aria-busy": state.busy === "share" ? "true" : null,
          on: { click: actions.makeLink },
        },
        again ? "Make a new link" : "Make a link",
      ),
    ),
    again ? h("p", { id: "new-link-hint", class: "hint" }, "A new link replaces this one: this one then stops working.") : null,
  );
}

views.share = shareBox;
