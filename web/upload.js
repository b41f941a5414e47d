// Sending a file to the bucket with the upload form the API hands out: every field of the form
// as it is, then the file as the last field, `file`. XMLHttpRequest, not fetch, because it
// reports the upload's progress.

export class UploadError extends Error {
  constructor(message) {
    super(message);
    this.name = "UploadError";
  }
}

/** Resolves when the bucket has the file; onProgress(loaded, total) as bytes go out. */
export function uploadFile(form, file, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields || {})) {
      body.append(name, value);
    }
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.url);
    xhr.timeout = 15 * 60 * 1000; // the form itself works 15 minutes
    xhr.upload.addEventListener("progress", (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      const said = storageMessage(xhr.responseText);
      reject(new UploadError(`The storage service refused the file (${xhr.status})${said ? `: ${said}` : "."}`));
    });
    xhr.addEventListener("error", () => {
      const where = safeOrigin(form.url);
      reject(new UploadError(`The file could not be sent: the storage service (${where}) cannot be reached.`));
    });
    xhr.addEventListener("timeout", () => reject(new UploadError("The upload took too long and was stopped: try again.")));
    xhr.send(body);
  });
}

function storageMessage(text) {
  if (!text) return "";
  try {
    const xml = new DOMParser().parseFromString(text, "application/xml");
    return (xml.querySelector("Message")?.textContent || "").trim();
  } catch {
    return "";
  }
}

function safeOrigin(url) {
  try {
    return new URL(url).origin;
  } catch {
    return "unknown address";
  }
}
