"""Email digests: what moved since a reader's last digest, why it matters, what is coming up; sent once.

A digest definition (digests.yml) says who gets it and which items; this
package takes the change events after the last event that digest covered,
keeps those its filters allow, renders one email (plain text and HTML) and
sends it over SMTP. The promise is the one readers of commercial trackers
miss most: no alert is lost and none is repeated. So the range of events
is recorded as sent only after the server accepted the message; a failed
send leaves the range for the next run; a recipient the server refused gets
that message again, alone, on the next runs (each recipient's outcome is kept
in ``digests.deliveries``); a lock file keeps two runs of one digest from
sending together, and the operating system drops the lock of a run that dies.

``config`` reads digests.yml and the SMTP settings, ``select`` picks what a
digest tells, ``text`` and ``footer`` word it, ``render`` makes the email,
``send`` hands it to the server, and ``run`` does one run of all of them.
"""
