// The hls.js settings of the product's player, in a module of their own so that the
// glass-to-glass benchmark (bench/bench_glass_to_glass.py) plays its nginx-rtmp reference
// with exactly the same ones. hls.js reads the live-edge settings only for live playlists.

export const HLS_CONFIG = Object.freeze({
  enableWorker: true,
  lowLatencyMode: false,
  backBufferLength: 30,
  // Start a segment and a half (1.5 s at the live default of 1 s segments) behind the live
  // edge: segments are listed within about a second of their last frame and fetched in well
  // under half a second, so that holds the next one's arrival (bench/bench_glass_to_glass.py on
  // a quiet machine: no stalls, 4.7 s glass to glass where two segments gave 5.8 s). hls.js
  // multiplies the count by the target duration, so a fraction is fine, and the distance
  // grows with a longer segment. A viewer whose network cannot keep up stalls once and hls.js
  // moves its target further back (liveSyncOnStallIncrease).
  liveSyncDurationCount: 1.5,
  // Behind that (joined while the playlist was about to change, or after a stall): play up
  // to 10 % faster until back at it, instead of staying late for the rest of the show.
  maxLiveSyncPlaybackRate: 1.1,
  // Ten segments behind: jump to the sync point rather than catch up for minutes.
  liveMaxLatencyDurationCount: 10,
});

// Low-latency events (latency_mode "low", LL-HLS): hls.js loads parts, asks for the next one
// with a blocking reload (_HLS_msn/_HLS_part) and sits PART-HOLD-BACK (two parts, 0.67 s)
// behind the edge. liveSyncDurationCount is left out on purpose: set, it would override
// PART-HOLD-BACK with two whole segments. liveMaxLatencyDurationCount goes with it: hls.js
// refuses a config that sets it without liveSyncDurationCount (new Hls() throws "Illegal
// hls.js config"), so an LL viewer far behind catches up by rate rather than by a jump.
const { liveSyncDurationCount: _sync, liveMaxLatencyDurationCount: _max, ...shared } = HLS_CONFIG;
export const LOW_LATENCY_HLS_CONFIG = Object.freeze({
  ...shared,
  lowLatencyMode: true,
  // Catch up faster than a standard viewer: a viewer joins at a keyframe of the copied
  // picture (OBS sends one every 2 s), up to 2 s behind the target. hls.js speeds up with the
  // distance (about 1.45× at 1.3 s behind, 1.3× at 0.8 s) and only while more than a second
  // is buffered, so it is back to 1× well before the target. At 1.2× the bench's p90 was
  // 2.10 and 3.00 s in two runs; at 1.5× 2.02 and 1.98 s (medians 1.86 and 1.88 s).
  maxLiveSyncPlaybackRate: 1.5,
});
