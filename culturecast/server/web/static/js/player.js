// The player shared by the live, resource and series pages: POST /api/v1/play for a session,
// play its master playlist (native HLS on Apple devices, hls.js elsewhere), heartbeats every
// heartbeat_interval_s (15 s) and a last one by sendBeacon when the page goes away, resume
// "where you stopped" per device, playback speed and a sleep timer for audio.
import { $, api, el, errorText, formatClock, loadScript, store, t } from "./core.js";
import { HLS_CONFIG, LOW_LATENCY_HLS_CONFIG } from "./hls_config.js";

const PLAY = "/api/v1/play";
const HEARTBEAT = "/api/v1/views/heartbeat";
const SPEED = "cc:speed";

function say(text) {
  $("#player-message").textContent = text;
}

function stateOf(media) {
  if (media.ended) return "ended";
  if (media.paused) return "paused";
  return media.readyState < 3 ? "buffering" : "playing";
}

/** Apple devices play HLS natively (and iOS before 17.1 has no MSE for hls.js); everyone else
 * gets hls.js, which also handles ABR better than Chrome's own HLS. */
function preferNative(media) {
  if (!media.canPlayType("application/vnd.apple.mpegurl")) return false;
  const ua = navigator.userAgent;
  return /iP(hone|ad|od)/.test(ua) || (/Macintosh/.test(ua) && /Safari/.test(ua) && !/Chrom/.test(ua)) || !("MediaSource" in window);
}

export class Playback {
  /** kind: "video" | "audio"; title and cover for the audio-first layout; lowLatency: a live
   * event in the low-latency mode (LL-HLS). */
  constructor({ kind = "video", title = "", cover = null, coverText = "", lowLatency = false } = {}) {
    this.kind = kind;
    this.lowLatency = lowLatency;
    this.session = null;
    this.hls = null;
    this.timer = null;
    this.seq = 0;
    this.resumeKey = null;
    this.onEnded = null;
    const slot = $("#media-slot");
    const player = $("#player");
    player.classList.toggle("audio", kind === "audio");
    const audio = kind === "audio";
    // Audio gets our own big controls (AudioControls) instead of the browser's thin bar.
    // A video shows its cover (the uploaded one, else the poster) until it plays.
    this.media = el(audio ? "audio" : "video", { id: "media", controls: !audio, playsinline: true, "webkit-playsinline": true, preload: "metadata", poster: !audio && cover ? cover : undefined });
    const tools = $("#audio-tools"); // moved into the slot by an earlier audio episode
    tools.hidden = !audio;
    if (!audio) player.after(tools); // back under the player, where the page has it
    const parts = audio ? [coverTile(cover, coverText || title, title), this.media, new AudioControls(this.media).root, tools] : [this.media];
    slot.replaceChildren(...parts);
    this.pagehide = () => this.beat(true);
    window.addEventListener("pagehide", this.pagehide);
    this.media.addEventListener("ended", () => {
      this.beat();
      if (this.resumeKey) store.set(this.resumeKey, null);
      if (this.onEnded) this.onEnded();
    });
    this.media.addEventListener("playing", () => say(""));
  }

  /** Start a playback session for the item and play it; false when it cannot play. */
  async start(itemType, itemId, { resume = false } = {}) {
    say(t("player.connecting"));
    const res = await api(PLAY, { method: "POST", body: { item_type: itemType, item_id: itemId } });
    if (!res.ok) {
      const { main, detail } = errorText(res.error);
      say(detail ? `${main} — ${detail}` : main);
      return false;
    }
    this.session = res.data;
    this.item = { item_type: itemType, item_id: itemId };
    if (resume) this.setupResume(`cc:pos:${itemType}:${itemId}`);
    if (!(await this.attach(res.data.master_url))) return false;
    const every = Math.max(1, Number(res.data.heartbeat_interval_s) || 15) * 1000;
    this.timer = setInterval(() => this.beat(), every);
    this.applySpeed();
    try {
      await this.media.play();
    } catch {
      say(t("player.tap_to_play")); // autoplay refused until the viewer taps
    }
    return true;
  }

  async attach(url) {
    const media = this.media;
    if (preferNative(media)) {
      media.src = url;
      return true;
    }
    try {
      await loadScript("../vendor/hls.min.js"); // relative to core.js
    } catch {
      say(t("common.load_failed"));
      return false;
    }
    const Hls = window.Hls;
    if (!Hls || !Hls.isSupported()) {
      if (media.canPlayType("application/vnd.apple.mpegurl")) {
        media.src = url;
        return true;
      }
      say(t("player.unsupported"));
      return false;
    }
    let hls;
    try {
      hls = new Hls({ ...(this.lowLatency ? LOW_LATENCY_HLS_CONFIG : HLS_CONFIG) });
    } catch (error) {
      // hls.js refuses a config it finds inconsistent: say so rather than stay at "connecting".
      console.error(error);
      say(t("player.error"));
      return false;
    }
    let recovered = false;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const details = Hls.ErrorDetails;
      if ([details.MANIFEST_LOAD_ERROR, details.MANIFEST_LOAD_TIMEOUT, details.MANIFEST_PARSING_ERROR].includes(data.details)) {
        // A show that went on air a moment ago has no playlist until its first segments are
        // written (a few seconds): ask again rather than give up.
        say(t("player.connecting"));
        setTimeout(() => this.hls === hls && hls.loadSource(url), 2000);
        return;
      }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        hls.startLoad(); // a live playlist that 404s between segments: keep trying
      } else {
        say(t("player.error"));
      }
    });
    hls.loadSource(url);
    hls.attachMedia(media);
    this.hls = hls;
    return true;
  }

  /** One heartbeat; on page exit by sendBeacon, which outlives the page. */
  beat(leaving = false) {
    if (!this.session) return;
    const body = JSON.stringify({
      session_id: this.session.session_id,
      position_s: Number.isFinite(this.media.currentTime) ? this.media.currentTime : null,
      state: leaving && !this.media.ended ? "paused" : stateOf(this.media),
      seq: ++this.seq,
    });
    if (leaving && navigator.sendBeacon) {
      // A string goes as text/plain, which the heartbeat API takes (a JSON Blob would be a
      // non-CORS-safelisted type that some browsers refuse to beacon).
      navigator.sendBeacon(HEARTBEAT, body);
      this.saveResume();
      return;
    }
    fetch(HEARTBEAT, { method: "POST", headers: { "Content-Type": "application/json" }, body, keepalive: true })
      .then((response) => {
        // A session the server no longer knows (no beat for minutes: a sleeping phone, a
        // paused tab) is over; keep counting this viewing under a new one.
        if (response.status === 404 && this.item) this.renew();
        // The live show has ended (409 show_ended): its time is counted; stop beating. A
        // replay is another viewing and starts its own session when it is played.
        if (response.status === 409) {
          clearInterval(this.timer);
          this.session = null;
        }
      })
      .catch(() => {});
  }

  async renew() {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const res = await api(PLAY, { method: "POST", body: this.item });
      if (res.ok) {
        this.session = res.data;
        this.seq = 0;
      }
    } finally {
      this.renewing = false;
    }
  }

  /** "Continue where you stopped", per device and item, without login. */
  setupResume(key) {
    this.resumeKey = key;
    const saved = store.get(key);
    let lastSave = 0;
    this.media.addEventListener("timeupdate", () => {
      if (Date.now() - lastSave > 5000) {
        lastSave = Date.now();
        this.saveResume();
      }
    });
    if (!saved || !(saved.p > 0)) return;
    this.media.addEventListener(
      "loadedmetadata",
      () => {
        // Not worth resuming a few seconds in, nor a few seconds before the end (then the
        // listener wants the next episode): 5 s / 10 s, or a tenth of a short item.
        const duration = Number.isFinite(this.media.duration) ? this.media.duration : Infinity;
        if (saved.p < Math.min(5, duration / 10) || saved.p > duration - Math.min(10, duration / 10)) return;
        this.media.currentTime = saved.p;
        const note = $("#resume-note");
        note.querySelector("span").textContent = t("resume.from", { time: formatClock(saved.p) });
        note.hidden = false;
        $("#resume-restart").onclick = () => {
          this.media.currentTime = 0;
          note.hidden = true;
        };
      },
      { once: true },
    );
  }

  saveResume() {
    if (!this.resumeKey || !(this.media.currentTime > 0) || this.media.ended) return;
    store.set(this.resumeKey, { p: Math.round(this.media.currentTime * 10) / 10, d: this.media.duration || null, at: Date.now() });
  }

  applySpeed() {
    const select = $("#speed");
    const saved = store.get(SPEED);
    if (saved && [...select.options].some((o) => o.value === saved)) select.value = saved;
    this.media.playbackRate = Number(select.value);
    select.onchange = () => {
      this.media.playbackRate = Number(select.value);
      store.set(SPEED, select.value);
    };
  }

  /** Stop everything (another episode is about to play). */
  destroy() {
    this.beat(true);
    clearInterval(this.timer);
    window.removeEventListener("pagehide", this.pagehide);
    if (this.hls) this.hls.destroy();
    this.media.pause();
    this.media.removeAttribute("src");
    this.session = null;
  }
}

const COVER_COLOURS = ["#8c2f1b", "#1f5f5b", "#6b3f8f", "#2f5d8c", "#7a5a12", "#3f6b2a"];

/** The cover of an audio item: the uploaded picture, or a coloured tile with the series' or
 * the item's name (never an empty square). */
function coverTile(cover, text, label) {
  const tile = el("div", { class: "audio-cover", role: "img", "aria-label": label });
  if (cover) {
    tile.style.backgroundImage = `url(${JSON.stringify(cover)})`;
    return tile;
  }
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  tile.classList.add("generated");
  tile.style.backgroundColor = COVER_COLOURS[hash % COVER_COLOURS.length];
  tile.append(el("span", { "aria-hidden": "true" }, text));
  return tile;
}

const SKIP_S = 15;

/** An elder-friendly audio player over the media element: a big play/pause, ±15 s, a big
 * time display and seek bar (all sized in rem, so the large-text mode scales them). */
class AudioControls {
  constructor(media) {
    this.media = media;
    const skip = (by) => () => {
      const end = Number.isFinite(media.duration) ? media.duration : Infinity;
      media.currentTime = Math.min(end, Math.max(0, media.currentTime + by));
    };
    this.play = el("button", { type: "button", id: "audio-play", class: "audio-play", onclick: () => (media.paused ? media.play() : media.pause()) });
    const back = el("button", { type: "button", id: "audio-back", class: "audio-skip", "aria-label": t("audio.back", { n: SKIP_S }), onclick: skip(-SKIP_S) }, "−15");
    const forward = el("button", { type: "button", id: "audio-forward", class: "audio-skip", "aria-label": t("audio.forward", { n: SKIP_S }), onclick: skip(SKIP_S) }, "+15");
    this.time = el("p", { id: "audio-time", class: "audio-time", "aria-live": "off" });
    this.seek = el("input", { type: "range", id: "audio-seek", class: "audio-seek", min: 0, max: 0, step: 1, value: 0, "aria-label": t("audio.seek") });
    this.seek.addEventListener("input", () => (media.currentTime = Number(this.seek.value)));
    this.root = el("div", { class: "audio-controls" }, this.time, this.seek, el("div", { class: "audio-buttons" }, back, this.play, forward));
    for (const name of ["play", "pause", "timeupdate", "durationchange", "loadedmetadata", "seeked", "ended"]) {
      media.addEventListener(name, () => this.render());
    }
    this.render();
  }

  render() {
    const media = this.media;
    const duration = Number.isFinite(media.duration) ? media.duration : 0;
    this.play.textContent = media.paused ? "▶" : "❚❚";
    this.play.setAttribute("aria-label", media.paused ? t("audio.play") : t("audio.pause"));
    this.time.textContent = duration ? `${formatClock(media.currentTime)} / ${formatClock(duration)}` : formatClock(media.currentTime);
    this.seek.max = String(Math.floor(duration));
    if (document.activeElement !== this.seek) this.seek.value = String(Math.floor(media.currentTime));
  }
}

/** The sleep timer: pause after N minutes, or at the end of this episode (which also stops
 * auto-next). One per page; survives episode changes. */
export class SleepTimer {
  constructor(getMedia) {
    this.getMedia = getMedia;
    this.deadline = null;
    this.endOfEpisode = false;
    this.select = $("#sleep");
    this.left = $("#sleep-left");
    this.select.addEventListener("change", () => this.set(this.select.value));
    setInterval(() => this.tick(), 1000);
  }

  set(value) {
    this.endOfEpisode = value === "episode";
    this.deadline = value && value !== "episode" ? Date.now() + Number(value) * 60000 : null;
    this.tick();
  }

  tick() {
    if (this.deadline === null) {
      this.left.textContent = this.endOfEpisode ? t("audio.sleep_episode") : "";
      return;
    }
    const remaining = (this.deadline - Date.now()) / 1000;
    if (remaining <= 0) {
      this.fire();
      return;
    }
    this.left.textContent = t("audio.sleep_left", { time: formatClock(remaining) });
  }

  fire() {
    const media = this.getMedia();
    if (media) media.pause();
    this.deadline = null;
    this.endOfEpisode = false;
    this.select.value = "";
    this.left.textContent = "";
    say(t("audio.sleep_done"));
  }

  /** Called when an episode ends: true when playback must stop here. */
  stopsAtEnd() {
    if (!this.endOfEpisode) return false;
    this.fire();
    return true;
  }
}
