"""``notes``: a command-line client for the notes API.

Signs up, confirms and signs in at the stage's Cognito user pool (on a scoped
stage, through its sign-in page in the browser), keeps the tokens in a per-user
credentials file, and calls the API over HTTP. The entry
point is :func:`notes_cli.main.cli`.
"""
