// Share the page: a QR code of its address (scanned in WeChat, the usual way a link reaches a
// phone in China) and a copy-link button.
import qrcode from "../vendor/qrcode.esm.js";
import { $, config, t } from "./core.js";

export function setupShare() {
  // CULTURECAST_PUBLIC_URL when set (the server names it), not the address this browser
  // used; without ?lang=: whoever scans gets their own language (or zh-CN).
  const url = config().share_url || location.origin + location.pathname;
  const qr = qrcode(0, "M");
  qr.addData(url);
  qr.make();
  const img = $("#share-qr");
  img.src = qr.createDataURL(4, 4);
  img.dataset.url = url;
  img.hidden = false;
  $("#share-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      $("#share-status").textContent = t("share.copied");
    } catch {
      // No clipboard outside secure contexts (plain http): show the address to copy by hand.
      $("#share-status").textContent = url;
    }
  });
}
