// The live comments of a replay, shown as the replay reaches the moment they were sent:
// GET /api/v1/live/<id>/comments?from=&to= (seconds from the show's start) fetched a window
// ahead of the playhead; each comment scrolls once across the picture and joins the list.
import { $, api, el } from "./core.js";
import { messageItem } from "./chat.js";

const WINDOW_S = 60;

/** Pure: the comments of `loaded` (sorted by offset_s) with offset in (from, to]. */
export function dueComments(loaded, from, to) {
  return loaded.filter((c) => c.offset_s > from && c.offset_s <= to);
}

export class ReplayComments {
  constructor(eventId, media) {
    this.eventId = eventId;
    this.media = media;
    this.loaded = [];
    this.fetchedTo = 0; // comments up to this offset are in `loaded`
    this.fetching = null;
    this.shownAt = -1; // the playhead when comments were last shown
    this.overlay = $("#comment-overlay");
    this.list = $("#chat-messages");
    this.lane = 0;
    media.addEventListener("timeupdate", () => this.tick());
    // The last comments may be placed at the very end of the media, a frame past the last
    // timeupdate: the end shows whatever is still due.
    media.addEventListener("ended", () => {
      for (const comment of this.loaded.filter((c) => c.offset_s > this.shownAt)) this.show(comment);
      this.shownAt = media.currentTime;
    });
    media.addEventListener("seeked", () => {
      this.shownAt = media.currentTime - 0.5;
      this.list.replaceChildren(...this.loaded.filter((c) => c.offset_s <= media.currentTime).map(messageItem));
    });
  }

  async fetch(from) {
    const to = from + WINDOW_S;
    const res = await api(`/api/v1/live/${encodeURIComponent(this.eventId)}/comments?from=${from}&to=${to}`);
    if (!res.ok) return;
    const known = new Set(this.loaded.map((c) => c.id));
    this.loaded.push(...res.data.comments.filter((c) => !known.has(c.id)));
    this.loaded.sort((a, b) => a.offset_s - b.offset_s);
    // A full page: continue from its last comment next time, else the window is done.
    const last = res.data.comments.at(-1);
    this.fetchedTo = res.data.truncated && last ? last.offset_s : to;
  }

  async tick() {
    const now = this.media.currentTime;
    if (now + WINDOW_S / 2 > this.fetchedTo && !this.fetching) {
      this.fetching = this.fetch(this.fetchedTo).finally(() => (this.fetching = null));
      if (this.loaded.length === 0) await this.fetching;
    }
    if (now < this.shownAt) this.shownAt = now - 0.5;
    for (const comment of dueComments(this.loaded, this.shownAt, now)) this.show(comment);
    this.shownAt = now;
  }

  show(comment) {
    this.list.append(messageItem(comment));
    this.list.scrollTop = this.list.scrollHeight;
    const item = el("li", { style: `--lane:${this.lane}` }, comment.text);
    this.lane = (this.lane + 1) % 4;
    item.addEventListener("animationend", () => item.remove());
    this.overlay.append(item);
  }
}
