"""What ``make run`` prints once the stack is up: where everything is, and what to do next."""

from __future__ import annotations

from pathlib import Path

from infra.description import password_rules_text
from local_stack import shown
from notes_cli.stack_file import StackFacts


def banner(stack: StackFacts, stack_file: Path, state: Path) -> str:
    return (_scoped if stack.scoped else _id_tokens)(stack, stack_file, state)


def _scoped(stack: StackFacts, stack_file: Path, state: Path) -> str:
    oauth = stack.oauth or {}
    ids = {kind: client.get("clientId") for kind, client in oauth.get("clients", {}).items()}
    scopes = oauth.get("scopes", {})
    return f"""
notes is running on this machine (127.0.0.1 only), in scoped mode: the API takes access
tokens carrying {scopes.get("read")} (reads) or {scopes.get("write")} (writes), from the pool's sign-in page

  web app        {stack.web_url}  (open it in a browser, choose Sign in)
  API            {stack.api_url}
  live updates   {stack.ws_url}  (WebSocket: the web app, notes changes --follow)
  AWS emulator   {stack.aws_endpoint}  (Cognito + DynamoDB + S3)
  sign-in        {oauth.get("domain")}/oauth2/authorize  (issuer {oauth.get("issuer")})
  user pool      {stack.user_pool_id}
  OAuth clients  web {ids.get("web")}, CLI {ids.get("cli")}, read-only {ids.get("readOnly")}
  table          {stack.table_name}
  bucket         {stack.bucket_name}  (attachments)
  facts          {shown(stack_file)}

Your data is kept in {shown(state)}: it is there again at the next make run
(make run FRESH=1 starts empty; make reset deletes it).

Sign up and sign in on the pool's sign-in page (no email is sent: any confirmation code
is accepted; passwords: {password_rules_text()}). From a terminal:
  .venv/bin/notes login                 # opens the sign-in page ($BROWSER chooses the program)
  .venv/bin/notes add "my first note"
  .venv/bin/notes login --read-only     # a token that reads and never writes

Ctrl-C stops everything.
"""


def _id_tokens(stack: StackFacts, stack_file: Path, state: Path) -> str:
    endpoint = stack.aws_endpoint
    facts = shown(stack_file)
    other_port = int(stack.api_url.rsplit(":", 1)[1]) + 10
    return f"""
notes is running on this machine (127.0.0.1 only)

  web app        {stack.web_url}  (open it in a browser)
  API            {stack.api_url}
  live updates   {stack.ws_url}  (WebSocket: the web app, notes changes --follow)
  AWS emulator   {endpoint}  (Cognito + DynamoDB + S3)
  user pool      {stack.user_pool_id}
  app client     {stack.user_pool_client_id}
  table          {stack.table_name}
  bucket         {stack.bucket_name}  (attachments)
  facts          {shown(stack_file)}

Your data is kept in {shown(state)}: it is there again at the next make run
(make run FRESH=1 starts empty; make reset deletes it).

Next, in another terminal:
  .venv/bin/notes signup you@example.com     # asks for a password: {password_rules_text()}
  .venv/bin/notes confirm you@example.com
  .venv/bin/notes login you@example.com
  .venv/bin/notes add "my first note"
  .venv/bin/notes ls

Or run chalice local yourself against this emulator, signing with this run's keys (tokens
checked as API Gateway checks them):
  AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=$(jq -r .awsAccessKeyId {facts}) \\
    AWS_SECRET_ACCESS_KEY=$(jq -r .awsSecretAccessKey {facts}) \\
    .venv/bin/python -m local_stack.chalice_local local --stage local --port {other_port}

Ctrl-C stops everything.
"""
