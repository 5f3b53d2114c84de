"""View counting: the definitions of plays, watch time, effective views and their roll-ups."""
