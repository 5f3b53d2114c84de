"""Chat: the Socket.IO server, comment policy, moderation, likes and history."""
