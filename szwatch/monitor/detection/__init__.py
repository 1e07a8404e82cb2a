"""Detection: the watchlist, matching, figures and project facts, and the rules that decide what is news."""
