// This device's copy of the signed-in user's notes, in the browser's IndexedDB: the notes as the
// change feed last gave them, the feed's cursor, and the changes made here that wait to be sent
// (the outbox). One database per browser profile, named "notes", holding one user's copy: another
// user signing in starts from an empty one, and signing out deletes it. Loaded at sign-in with
// sync.js, its only user.

const NAME = "notes";
const VERSION = 1;
const NOTES = "notes"; // noteId → the note, as the API answers it
const META = "meta"; // "owner": the user's sub; "cursor": the feed's; "outbox": the waiting changes

/** A request's result, as a promise. */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Opens the device's copy for `sub`; another user's copy is emptied first. */
export async function openDevice(sub) {
  const opening = indexedDB.open(NAME, VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains(NOTES)) db.createObjectStore(NOTES, { keyPath: "noteId" });
    if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
  };
  const db = await done(opening);
  // Another page deletes the copy (signed out there): this page lets go of it at once.
  db.onversionchange = () => db.close();
  const device = new Device(db);
  if ((await device.meta("owner")) !== sub) {
    await device.write((notes, meta) => {
      notes.clear();
      meta.clear();
      meta.put(sub, "owner");
    });
  }
  return device;
}

/** Deletes the device's copy (signing out, a deleted account); done once it is gone. */
export function forgetDevice() {
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.deleteDatabase(NAME);
    } catch {
      resolve();
      return;
    }
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

class Device {
  constructor(db) {
    this.db = db;
  }

  /** Runs `change(notes, meta)` in one read-write transaction: done when it is stored. */
  write(change) {
    const tx = this.db.transaction([NOTES, META], "readwrite");
    const result = change(tx.objectStore(NOTES), tx.objectStore(META));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(result);
      tx.onerror = tx.onabort = () => reject(tx.error || new Error("the device's copy could not be written"));
    });
  }

  meta(key) {
    return done(this.db.transaction(META).objectStore(META).get(key));
  }

  /** Every note kept. */
  notes() {
    return done(this.db.transaction(NOTES).objectStore(NOTES).getAll());
  }

  /** The waiting changes, oldest first. */
  async outbox() {
    return (await this.meta("outbox")) || [];
  }

  /**
   * Notes kept (`notes`) and dropped (`gone`: ids), and the feed's cursor moved (`cursor`, when
   * given); `replace`: the copy starts again from these (the feed's first page), every other note
   * dropped.
   */
  keep({ notes = [], gone = [], cursor, replace = false }) {
    return this.write((store, meta) => {
      if (replace) store.clear();
      for (const note of notes) store.put(note);
      for (const id of gone) store.delete(id);
      if (cursor !== undefined) meta.put(cursor, "cursor");
    });
  }

  /**
   * The outbox changed by `change(entries)` (it returns the new list) in one transaction, so that
   * two pages of this device never lose each other's changes; the new list.
   */
  async changeOutbox(change) {
    let after = [];
    await this.write((store, meta) => {
      const reading = meta.get("outbox");
      reading.onsuccess = () => {
        after = change(reading.result || []);
        meta.put(after, "outbox");
      };
    });
    return after;
  }

  close() {
    this.db.close();
  }
}
