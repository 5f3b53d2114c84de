// The hls.js settings of the product's player, in a module of their own so that the
// glass-to-glass benchmark (bench/bench_glass_to_glass.py) plays its nginx-rtmp reference
// with exactly the same ones. hls.js reads the live-edge settings only for live playlists.

export const HLS_CONFIG = Object.freeze({
  enableWorker: true,
  lowLatencyMode: false,
  backBufferLength: 30,
  // Start three segments behind the live edge, the hold-back RFC 8216 §6.3.3 asks of
  // players; with the live default of 1 s segments that is 3 s.
  liveSyncDurationCount: 3,
  // Behind that (joined while the playlist was about to change, or after a stall): play up
  // to 10 % faster until back at it, instead of staying late for the rest of the show.
  maxLiveSyncPlaybackRate: 1.1,
  // Ten segments behind: jump to the sync point rather than catch up for minutes.
  liveMaxLatencyDurationCount: 10,
});
