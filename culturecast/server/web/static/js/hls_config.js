// The hls.js settings of the product's player, in a module of their own so that the
// glass-to-glass benchmark (bench/bench_glass_to_glass.py) plays its nginx-rtmp reference
// with exactly the same ones. hls.js reads the live-edge settings only for live playlists.

export const HLS_CONFIG = Object.freeze({ enableWorker: true, lowLatencyMode: false, backBufferLength: 30 });
