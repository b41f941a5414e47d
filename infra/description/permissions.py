"""What each of the stage's functions may do: the IAM actions its role allows, and nothing else.

The template binds each set to the resources it applies to (``infra.template.roles``).
"""

from __future__ import annotations

# What the Lambda function does to the table (chalicelib/notes.py): nothing else.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)
# What the API reads of the search index (chalicelib/finding.py), and what the indexer function
# reads of the notes table's stream and writes to the index (chalicelib/search.py).
SEARCH_TABLE_ACTIONS = ("dynamodb:Query",)
STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
INDEX_WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
# What the API does to the trash (chalicelib: deleting a note moves it there, in a transaction
# with the notes table; the trash is listed through its index; restoring and deleting for good
# take a note out) and to the account table (an account's tombstone, checked on every request,
# and its exports' records).
TRASH_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
ACCOUNT_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
# What the API reads of the change feed (chalicelib/changes.py: the head when a feed starts, the
# entries after a cursor), and what the change feed's function writes to it (a place given out
# with UpdateItem, the entries with BatchWriteItem); the function reads the notes table's stream.
CHANGES_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
FOLLOW_WRITE_ACTIONS = ("dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem")
# What the API does to the versions (chalicelib/history.py: a note's versions listed and read; deleted
# with the note for good), what the change feed's function writes to them (the text each change
# replaced), and what the trash's purge deletes of them (a note's, when the TTL removed it).
VERSIONS_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem")
FOLLOW_VERSIONS_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem")
PURGE_VERSIONS_ACTIONS = ("dynamodb:Query", "dynamodb:BatchWriteItem")
# What the API does to the links (chalicelib/sharing.py: one put, read, deleted, listed per note; a
# link found by its id in the table's index; its file's copy recorded), and to their files' copies
# under shared/ (copied from files/, then downloaded through a presigned GET); what the trash's
# purge deletes of them (a purged note's link).
SHARES_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)
SHARED_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
PURGE_SHARES_ACTIONS = ("dynamodb:DeleteItem",)
# The change feed's function reads an account's tombstone (a deleted account's removals make no
# entries); it reads an owner's open WebSocket connections, forgets the gone ones, and sends each
# a message through the WebSocket API's management endpoint.
FOLLOW_ACCOUNT_ACTIONS = ("dynamodb:GetItem",)
FOLLOW_CONNECTIONS_ACTIONS = ("dynamodb:Query", "dynamodb:DeleteItem")
MANAGE_CONNECTIONS_ACTIONS = ("execute-api:ManageConnections",)
# The WebSocket connect handler reads the caller's tombstone and records the connection; the
# message handler touches nothing.
CONNECT_ACCOUNT_ACTIONS = ("dynamodb:GetItem",)
CONNECT_CONNECTIONS_ACTIONS = ("dynamodb:PutItem",)
# What the API reads of the exports (presigned GETs of the ZIPs), and of the user pool (DELETE /me
# confirms the caller's email with it when the token carries none).
EXPORT_READ_ACTIONS = ("s3:GetObject",)
API_USER_POOL_ACTIONS = ("cognito-idp:AdminGetUser",)
# The purge function (the trash table's stream, only the records of DynamoDB's TTL): it deletes
# the purged notes' files, and their versions (PURGE_VERSIONS_ACTIONS).
PURGE_OBJECT_ACTIONS = ("s3:DeleteObject",)
# The jobs function (the account table's stream, new items only): it builds exports and deletes
# accounts, so it reads and writes every table of the stage, lists the bucket, reads the files,
# writes the exports, deletes a user's objects under every prefix, and deletes the user.
JOBS_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
JOBS_BUCKET_ACTIONS = ("s3:ListBucket",)
JOBS_READ_ACTIONS = ("s3:GetObject",)
JOBS_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
JOBS_DELETE_ACTIONS = ("s3:DeleteObject",)  # a user's objects, and their links' copies under shared/
JOBS_USER_POOL_ACTIONS = ("cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser")
# What the Lambda function does to the bucket's objects (chalicelib/notes.py, chalicelib/files.py): HeadObject
# and presigned GETs are s3:GetObject, presigned POSTs and CopyObject's target s3:PutObject,
# DeleteObjects s3:DeleteObject per key. Nothing on the bucket itself.
BUCKET_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
