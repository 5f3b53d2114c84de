"""Live sources other than a push: pull (拉流) and scheduled playout (录播/轮播).

One mechanism for both: a runner per event starts an ffmpeg that reads the source and writes
FLV to a pipe, and feeds those tags to the same :class:`~culturecast.live.runtime.Stream` a
pushed RTMP publisher feeds (ladder, health, replay, chat, statistics and the reconnecting →
grace → ended rules are the same).
"""
