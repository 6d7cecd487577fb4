"""Authors hear back (issue 11): verified addresses and author tokens, statements of reasons,
notifications, appeals, and the author's own page."""
