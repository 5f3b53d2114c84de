// A small tus 1.0 client (https://tus.io/protocols/resumable-upload, core + creation) for the
// admin console: POST creates the upload (Upload-Length, Upload-Metadata), PATCH sends chunks
// at Upload-Offset, HEAD finds where to continue after a failure or a page reload. The upload
// URL is kept in localStorage under the file's name, size and mtime, so choosing the same file
// again resumes it instead of starting over.
import { store } from "./core.js";

export const CHUNK_BYTES = 5 * 1024 * 1024;
const VERSION = "1.0.0";
const RETRIES = 2;
const RETRY_DELAY_MS = 1000;

/** The error of a failed step, shaped like the JSON API's ({code, message, status}). */
export class UploadError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function storeKey(file) {
  return `cc:tus:${file.name}:${file.size}:${file.lastModified}`;
}

/** What a previous visit left for this file ({url, org_id}), or null. */
export function rememberedUpload(file) {
  return store.get(storeKey(file));
}

export function forgetUpload(file) {
  try {
    localStorage.removeItem(storeKey(file));
  } catch {
    // nothing remembered
  }
}

function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** § Upload-Metadata: comma-separated "key base64(value)" pairs. */
export function encodeMetadata(metadata) {
  return Object.entries(metadata)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k} ${b64(String(v))}`)
    .join(",");
}

/** One HTTP request through XMLHttpRequest (fetch cannot report upload progress). */
function send(method, url, { headers = {}, body = null, onProgress } = {}, handle) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    handle.xhr = xhr;
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new UploadError("network", "the connection failed"));
    xhr.onabort = () => reject(new UploadError("aborted", "the upload was paused"));
    xhr.send(body);
  });
}

function apiError(xhr) {
  let error = null;
  try {
    error = JSON.parse(xhr.responseText).error;
  } catch {
    error = null;
  }
  return new UploadError(error?.code || "unknown", error?.message || xhr.statusText, xhr.status);
}

/**
 * Upload `file`; resolves to {uploadId, url} when every byte is stored.
 * options: {endpoint, token, metadata, chunkBytes, onProgress(sent, total)}.
 */
export class TusUpload {
  constructor(file, { endpoint = "/api/v1/uploads", token, metadata = {}, chunkBytes = CHUNK_BYTES, onProgress = () => {} } = {}) {
    this.file = file;
    this.endpoint = endpoint;
    this.token = token;
    this.metadata = { filename: file.name, filetype: file.type || "application/octet-stream", ...metadata };
    this.chunkBytes = chunkBytes;
    this.onProgress = onProgress;
    this.handle = { xhr: null };
    this.aborted = false;
    this.url = null;
    this.offset = 0;
  }

  headers(extra = {}) {
    const headers = { "Tus-Resumable": VERSION, ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** Pause: the current chunk stops; start() later continues from the server's offset. */
  abort() {
    this.aborted = true;
    this.handle.xhr?.abort();
  }

  async start() {
    this.aborted = false;
    let failures = 0;
    for (;;) {
      try {
        await this.run();
        return { uploadId: this.url.split("/").pop(), url: this.url };
      } catch (err) {
        const transient = err.code === "network" || err.status >= 500 || err.code === "offset_mismatch" || err.status === 423;
        if (this.aborted || !transient || failures >= RETRIES) throw err;
        failures += 1;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * failures));
      }
    }
  }

  async run() {
    if (!this.url) await this.resumeOrCreate();
    else await this.head();
    this.onProgress(this.offset, this.file.size);
    while (this.offset < this.file.size) {
      const end = Math.min(this.offset + this.chunkBytes, this.file.size);
      const base = this.offset;
      const xhr = await send(
        "PATCH",
        this.url,
        {
          headers: this.headers({ "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(base) }),
          body: this.file.slice(base, end),
          onProgress: (loaded) => this.onProgress(base + loaded, this.file.size),
        },
        this.handle,
      );
      if (xhr.status !== 204) throw apiError(xhr);
      this.offset = Number(xhr.getResponseHeader("Upload-Offset"));
      this.onProgress(this.offset, this.file.size);
    }
  }

  async resumeOrCreate() {
    const remembered = rememberedUpload(this.file);
    if (remembered?.url && remembered.org_id === this.metadata.org_id) {
      this.url = remembered.url;
      try {
        await this.head();
        return;
      } catch (err) {
        if (err.status !== 404 && err.status !== 410 && err.status !== 403) throw err;
        // Expired or removed on the server: start again.
        forgetUpload(this.file);
        this.url = null;
      }
    }
    const xhr = await send(
      "POST",
      this.endpoint,
      { headers: this.headers({ "Upload-Length": String(this.file.size), "Upload-Metadata": encodeMetadata(this.metadata) }) },
      this.handle,
    );
    if (xhr.status !== 201) throw apiError(xhr);
    this.url = new URL(xhr.getResponseHeader("Location"), location.href).pathname;
    this.offset = 0;
    store.set(storeKey(this.file), { url: this.url, org_id: this.metadata.org_id });
  }

  /** § HEAD: the server's offset, where the next PATCH starts. */
  async head() {
    const xhr = await send("HEAD", this.url, { headers: this.headers() }, this.handle);
    if (xhr.status !== 200) throw new UploadError(xhr.status === 404 ? "upload_not_found" : "unknown", xhr.statusText, xhr.status);
    this.offset = Number(xhr.getResponseHeader("Upload-Offset"));
    this.resumed = this.offset > 0;
  }
}
