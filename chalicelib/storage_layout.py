"""Where attachments live in the stage's bucket: shared by the app and its infrastructure.

Every attachment's key starts with one of two prefixes, then the owner's ``sub`` and the note's id:

- ``uploads/<sub>/<noteId>/<uploadId>``: what a client uploaded with a presigned POST and has
  not attached yet. The bucket's lifecycle rule deletes whatever is left here after a day.
- ``files/<sub>/<noteId>/<fileId>``: an attached file, copied out of ``uploads/`` when it is
  attached, out of the lifecycle rule's reach; deleted only after no note points at it.

A shared note's file, as its link's public page downloads it, is copied to ``shared/<shareId>``
(a key that names neither the owner nor the note); a third lifecycle rule deletes such a copy a
day after it was made, and the page copies it again when it is older than half a day.

An export of a user's notes is ``exports/<sub>/<exportId>.zip``; a second lifecycle rule deletes
it a day after it was written.
"""

from __future__ import annotations

UPLOADS_PREFIX = "uploads/"
FILES_PREFIX = "files/"
# An export's ZIP: ``exports/<sub>/<exportId>.zip``, deleted by the bucket's second lifecycle rule.
EXPORTS_PREFIX = "exports/"
# A shared note's file as its link downloads it: ``shared/<shareId>``, made anew every half day
# while the link is opened, deleted by the bucket's third lifecycle rule a day after it was made.
SHARED_PREFIX = "shared/"
SHARED_COPY_EXPIRY_DAYS = 1
# The lifecycle rule's age for uploads/ (S3 counts whole days and runs the rule once a day,
# so an upload never attached is gone within two days).
UPLOAD_EXPIRY_DAYS = 1
# The lifecycle rule's age for exports/: an export is downloadable for a day after it is ready.
EXPORT_EXPIRY_DAYS = 1
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
