"""Authors hear back (issue 11): the secrets in their links and tokens (`links.py`), whether a
post proves its address (`proof.py`), and the mails their comments and its decisions cause,
queued inside those transactions (`mails.py`). The use cases are in `service/authors.py`."""
