// 点赞, 收藏 and 分享 of the item a page plays (issue 17). The viewer is the signed-in user or,
// for a guest, the device (the cc_did cookie the server sets), so a like and 我的收藏 follow
// the browser. A second tap on a pressed button takes the like (or the favorite) back.
import { $, api, t } from "./core.js";

const LIKE_PATH = { resource: "resources", live: "live" };

export class EngagementBar {
  constructor() {
    this.item = null;
    this.busy = false;
    $("#like-button").addEventListener("click", () => this.toggle("like"));
    $("#favorite-button").addEventListener("click", () => this.toggle("favorite"));
  }

  /** Show the counts of `itemType` `itemId` (a resource, a live event) and act on it. */
  async show(itemType, itemId) {
    this.item = { type: itemType, id: itemId };
    const res = await api(`/api/v1/engagement/${itemType}/${encodeURIComponent(itemId)}`);
    if (res.ok && this.item && this.item.id === itemId) {
      this.render(res.data);
      $("#engage").hidden = false;
    }
  }

  render(counts) {
    this.counts = counts;
    const like = $("#like-button");
    like.setAttribute("aria-pressed", String(counts.liked));
    $("#like-count").textContent = t("engage.count", { n: counts.likes });
    const favorite = $("#favorite-button");
    favorite.setAttribute("aria-pressed", String(counts.favorited));
    $("#favorite-label").textContent = counts.favorited ? t("engage.favorited") : t("engage.favorite");
    $("#favorite-count").textContent = t("engage.count", { n: counts.favorites });
    $("#share-count").textContent = counts.shares ? t("engage.shares", { n: counts.shares }) : "";
  }

  async toggle(kind) {
    if (!this.item || !this.counts || this.busy) return;
    this.busy = true;
    const { type, id } = this.item;
    const on = kind === "like" ? this.counts.liked : this.counts.favorited;
    const path =
      kind === "like"
        ? `/api/v1/${LIKE_PATH[type]}/${encodeURIComponent(id)}/like`
        : `/api/v1/favorites/${type}/${encodeURIComponent(id)}`;
    const res = await api(path, { method: on ? "DELETE" : "POST" });
    this.busy = false;
    if (res.ok) {
      this.render(res.data);
      $("#engage-status").textContent = "";
    } else {
      $("#engage-status").textContent = t("engage.failed");
    }
  }

  /** The share button was used (the link copied, the QR code opened): count a share. */
  async shared() {
    if (!this.item) return;
    const { type, id } = this.item;
    const res = await api(`/api/v1/shares/${type}/${encodeURIComponent(id)}`, { method: "POST" });
    if (res.ok && this.item && this.item.id === id) this.render(res.data);
  }
}
