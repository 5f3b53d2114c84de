"""Engagement: likes, favorites (收藏) and shares per viewer, and vote campaigns (投票)."""
