// Share the page: a QR code of its address (scanned in WeChat, the usual way a link reaches a
// phone in China) and a copy-link button.
import qrcode from "../vendor/qrcode.esm.js";
import { $, config, t } from "./core.js";

/** `onShare` (optional) is told each time the viewer copies the link or opens the QR code. */
export function setupShare(onShare = () => {}) {
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
  // Tapping the code opens it large (to show someone, or to save it): that is a share too.
  img.addEventListener("click", () => {
    img.classList.toggle("qr-large");
    if (img.classList.contains("qr-large")) onShare();
  });
  $("#share-copy").addEventListener("click", async () => {
    onShare();
    try {
      await navigator.clipboard.writeText(url);
      $("#share-status").textContent = t("share.copied");
    } catch {
      // No clipboard outside secure contexts (plain http): show the address to copy by hand.
      $("#share-status").textContent = url;
    }
  });
}
