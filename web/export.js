// Exporting every note as one ZIP, on the account screen: the export is started, its progress
// asked for (four times a second until its notes are counted, then every second) and shown, the
// progress taking the button's place and its focus, then the download link does. Loaded with
// account.js at sign-in, which adds its actions and draws its section; like every screen it only
// reads the state, text as text.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { when } from "./notes-screen.js";
import { clearMessages, fileSize, say, warn } from "./screens.js";
import { exportProgress, state, update } from "./state.js";

const POLL_MS = 1000; // an export's progress is asked for every second once its notes are counted,
const STARTING_POLL_MS = 250; // and four times a second before: a small export is made in about a second
const FRESH_MS = 30000; // a download link that expires sooner than this is asked for again

// account.js's wiring (app.js's): { api(), failed }
let app = null;
let polling = 0; // the export polled: a poll of an earlier one (or before signing out) is dropped
let pollTimer = 0;

/** Signed out: no export is waited for any more. */
export function stop() {
  clearTimeout(pollTimer);
  polling += 1;
}

export function exportActions(wiring) {
  app = wiring;
  return {
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

/** The export's section of the account screen: its button, its progress, then its link. */
export function exportSection(state, actions) {
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
