// An iCalendar (RFC 5545) reminder of one show: pure, no DOM — a VCALENDAR with one VEVENT
// (UID, DTSTAMP, DTSTART in UTC, SUMMARY, URL) and a display alarm 10 minutes before; lines
// end in CRLF and are folded at 75 octets, and text values escape \ ; , and newlines.

/** A TEXT value escaped (RFC 5545 § 3.3.11). */
export function icsText(value) {
  return String(value)
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/** Epoch seconds as a UTC DATE-TIME: 20261202T083000Z. */
export function icsTime(epochSeconds) {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** A content line folded at 75 octets (UTF-8), never inside a character. */
function fold(line) {
  const encoder = new TextEncoder();
  const parts = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const size = encoder.encode(ch).length;
    const limit = parts.length ? 74 : 75; // continuation lines start with a space
    if (octets + size > limit) {
      parts.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

/** The .ics text of a show starting at `start` (epoch seconds), made at `now`. */
export function buildIcs({ uid, start, summary, url, reminder, now, alarmMinutes = 10 }) {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//CultureCast//Schedule//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${icsText(uid)}`,
    `DTSTAMP:${icsTime(now)}`,
    `DTSTART:${icsTime(start)}`,
    `SUMMARY:${icsText(summary)}`,
    `URL:${url}`,
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    `DESCRIPTION:${icsText(reminder || summary)}`,
    `TRIGGER:-PT${alarmMinutes}M`,
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}
