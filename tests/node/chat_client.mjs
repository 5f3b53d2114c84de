// The official socket.io JavaScript client on our /chat namespace, driven by the Python tests
// (tests/support/node_chat.py) over a line-oriented JSON protocol, one object per line:
//
//   node chat_client.mjs URL [AUTH_JSON] [TRANSPORTS]
//
// TRANSPORTS is a comma-separated list, "websocket" by default ("polling" is the fallback the
// pages keep for networks that block WebSockets).
//
// stdout, what the client observed:
//   {"event": "connect", "data": {"id": "...", "transport": "websocket" | "polling"}}
//   {"event": "connect_error", "data": {"message": "...", "data": ...}}
//   {"event": "disconnect", "data": "reason"}
//   {"event": NAME, "data": ARG}           every server event (ARG is a list when there are
//                                           several arguments, null when there are none)
//   {"ack": ID, "data": ARG} or {"ack": ID, "error": "timeout"}
// stdin, what the client does:
//   {"emit": NAME, "data": ARG, "ack": ID}  emit (without "data": no argument; with "binary":
//                                           a base64 string, that Buffer is the argument,
//                                           sent as a socket.io binary attachment); "ack"
//                                           (any JSON value) asks for the acknowledgement
//   {"raw": TEXT}                           one engine.io message frame as is (garbage tests)
//   {"close": true}                         disconnect and exit
// End of stdin disconnects and exits too, so a test that dies never leaves a client behind.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const [url, authJson, transports] = process.argv.slice(2);
if (!url) {
  process.stderr.write("usage: node chat_client.mjs URL [AUTH_JSON] [TRANSPORTS]\n");
  process.exit(2);
}

// Pipes are written synchronously on Linux, so a line is out before any exit below.
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const socket = io(url + "/chat", {
  transports: (transports || "websocket").split(","),
  auth: authJson ? JSON.parse(authJson) : {},
  // A refused or dropped connection is what the tests look at; retrying would hide it.
  reconnection: false,
});

socket.on("connect", () =>
  out({ event: "connect", data: { id: socket.id, transport: socket.io.engine.transport.name } }),
);
socket.on("connect_error", (err) =>
  out({ event: "connect_error", data: { message: err.message, data: err.data ?? null } }),
);
socket.on("disconnect", (reason) => out({ event: "disconnect", data: reason }));
socket.onAny((event, ...args) =>
  out({ event, data: args.length === 1 ? args[0] : args.length ? args : null }),
);

function run(cmd) {
  if (cmd.close) {
    finish();
  } else if (typeof cmd.raw === "string") {
    socket.io.engine.write(cmd.raw);
  } else if (typeof cmd.emit === "string") {
    const args = [];
    if (typeof cmd.binary === "string") args.push(Buffer.from(cmd.binary, "base64"));
    else if ("data" in cmd) args.push(cmd.data);
    if ("ack" in cmd) {
      socket.timeout(cmd.timeout ?? 10000).emit(cmd.emit, ...args, (err, reply) =>
        out(err ? { ack: cmd.ack, error: "timeout" } : { ack: cmd.ack, data: reply ?? null }),
      );
    } else {
      socket.emit(cmd.emit, ...args);
    }
  } else {
    out({ event: "driver_error", data: "unknown command: " + JSON.stringify(cmd) });
  }
}

function finish() {
  socket.disconnect();
  process.exit(0);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (!line.trim()) return;
  try {
    run(JSON.parse(line));
  } catch (err) {
    out({ event: "driver_error", data: String(err) });
  }
});
lines.on("close", finish);
