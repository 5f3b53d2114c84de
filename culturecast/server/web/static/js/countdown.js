// Countdown to a show's start. The arithmetic is pure (time is a parameter); start() ticks it.
import { t } from "./core.js";

/** Whole days, hours, minutes, seconds from `now` to `target` (epoch seconds). */
export function countdownParts(target, now) {
  const left = Math.max(0, Math.ceil(target - now));
  return {
    done: left === 0,
    d: Math.floor(left / 86400),
    h: Math.floor((left % 86400) / 3600),
    m: Math.floor((left % 3600) / 60),
    s: left % 60,
  };
}

export function countdownText(target, now) {
  const p = countdownParts(target, now);
  if (p.done) return t("countdown.starting");
  const two = (n) => String(n).padStart(2, "0");
  const params = { d: p.d, h: two(p.h), m: two(p.m), s: two(p.s) };
  return p.d > 0 ? t("countdown.dhms", params) : t("countdown.hms", params);
}

/** Keep `node` showing the time left until `target`; calls onDone once when it is reached. */
export function startCountdown(node, target, onDone) {
  let fired = false;
  const tick = () => {
    const now = Date.now() / 1000;
    node.textContent = countdownText(target, now);
    if (!fired && now >= target) {
      fired = true;
      if (onDone) onDone();
    }
  };
  tick();
  return setInterval(tick, 1000);
}
