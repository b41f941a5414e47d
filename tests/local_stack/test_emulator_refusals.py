"""The local stack refuses what AWS refuses, over real HTTP on the session's ``make run``, as a
client or an attacker sends the requests: forms whose policy does not hold, altered or expired
download URLs, unsigned or wrongly signed calls, and pages of other origins reading its answers."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import boto3
import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import PASSWORD
from tests.stack import Stack, StackUser, new_user, send_to_s3

TIMEOUT = 10
FOREIGN_ORIGIN = "http://127.0.0.1:1"


def s3_error(answer: requests.Response) -> tuple[str, str]:
    """S3's ``<Error><Code>…</Code><Message>…</Message></Error>``: the code and the message."""
    assert answer.headers["Content-Type"].startswith("application/xml"), answer.text
    found = re.fullmatch(
        r'<\?xml version="1.0" encoding="UTF-8"\?>\s*'
        r"<Error><Code>([^<]*)</Code><Message>([^<]*)</Message>.*</Error>",
        answer.text,
        re.DOTALL,
    )
    assert found, answer.text
    return found.group(1), html.unescape(found.group(2))


def signing_client(stack: Stack, service: str, key_id: str | None = None, secret: str | None = None) -> Any:
    """A client of the stack's emulator signing with the stack's pair (or the one given), SigV4."""
    return boto3.client(
        service,
        region_name=stack.facts.region,
        endpoint_url=stack.facts.aws_endpoint,
        aws_access_key_id=key_id or stack.facts.aws_access_key_id,
        aws_secret_access_key=secret or stack.facts.aws_secret_access_key,
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
    )


def file_key(stack: Stack, note_id: str) -> str:
    """The bucket key of a note's attached file (never shown to clients; an attacker guesses it)."""
    (key,) = [key for key in stack.bucket_keys("files/") if f"/{note_id}/" in key]
    return key


def downloaded(user: StackUser, note_id: str) -> bytes:
    link = user.call("GET", f"/notes/{note_id}/attachment")
    assert link.status_code == 200, link.text
    got = requests.get(link.json()["url"], timeout=TIMEOUT)
    assert got.status_code == 200, got.text
    return got.content


def with_query(url: str, **changes: str) -> str:
    """The URL with some of its query's parameters changed, the others encoded as they were."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    encoded = urlencode({**query, **changes}, safe="-_.~", quote_via=quote)
    return urlunsplit(parts._replace(query=encoded))


@pytest.fixture(scope="module")
def alice(local_stack: Stack) -> StackUser:
    return new_user(local_stack, "victim")


@pytest.fixture(scope="module")
def mallory(local_stack: Stack) -> StackUser:
    return new_user(local_stack, "attacker")


@pytest.fixture(scope="module")
def attached(alice: StackUser) -> str:
    """A note of alice's with a file attached: its id."""
    note_id = str(alice.create_note("with a file")["noteId"])
    alice.attach(note_id, "mine.txt", b"alice's own file")
    return note_id


# --- presigned POST: the upload form --------------------------------------------------------


def test_an_unsigned_form_cannot_overwrite_another_users_file(
    local_stack: Stack, alice: StackUser, attached: str
) -> None:
    target = file_key(local_stack, attached)
    url = f"{local_stack.facts.aws_endpoint}/{local_stack.facts.bucket_name}"

    sent = requests.post(
        url, data={"key": target}, files={"file": ("x", b"overwritten", "text/plain")}, timeout=TIMEOUT
    )

    assert sent.status_code == 403
    assert s3_error(sent) == ("AccessDenied", "Access Denied")
    assert downloaded(alice, attached) == b"alice's own file"


def test_a_form_with_its_key_edited_cannot_write_elsewhere(
    local_stack: Stack, alice: StackUser, mallory: StackUser, attached: str
) -> None:
    data = b"mallory's bytes"
    own_note = mallory.create_note("mine")["noteId"]
    form = mallory.ask_upload(own_note, "x.txt", data)
    target = file_key(local_stack, attached)

    sent = send_to_s3({**form, "fields": {**form["fields"], "key": target}}, data)

    assert sent.status_code == 403
    code, message = s3_error(sent)
    assert code == "AccessDenied"
    assert message.startswith("Invalid according to Policy: Policy Condition failed: [")
    assert '"$key"' in message
    assert downloaded(alice, attached) == b"alice's own file"
    # The same form, unchanged, still uploads (it is the app's own form).
    assert send_to_s3(form, data).status_code == 204


def test_a_form_aimed_at_another_users_pending_upload_is_refused_and_never_attached(
    local_stack: Stack, alice: StackUser, mallory: StackUser
) -> None:
    note_id = alice.create_note("an upload on its way")["noteId"]
    pending = alice.ask_upload(note_id, "report.txt", b"the real report")
    pending_key = pending["fields"]["key"]  # as alice's form names it to her browser
    data = b"the fake report"
    form = mallory.ask_upload(mallory.create_note("mine")["noteId"], "report.txt", data)

    sent = send_to_s3({**form, "fields": {**form["fields"], "key": pending_key}}, data)

    assert sent.status_code == 403 and s3_error(sent)[0] == "AccessDenied"
    attach = alice.call("PUT", f"/notes/{note_id}/attachment", {"uploadId": pending["uploadId"]})
    assert attach.status_code == 400, attach.text  # nothing is waiting there
    assert alice.note(note_id).json()["attachment"] is None
    # Alice's own upload then goes there, and is what gets attached.
    assert send_to_s3(pending, b"the real report").status_code == 204
    assert (
        alice.call("PUT", f"/notes/{note_id}/attachment", {"uploadId": pending["uploadId"]}).status_code
        == 200
    )
    assert downloaded(alice, note_id) == b"the real report"


def test_an_expired_form_is_refused(local_stack: Stack) -> None:
    bucket = local_stack.facts.bucket_name
    key = "uploads/expired-form-test/x/y"
    form = signing_client(local_stack, "s3").generate_presigned_post(Bucket=bucket, Key=key, ExpiresIn=-60)

    sent = send_to_s3(form, b"late")

    assert sent.status_code == 403
    assert s3_error(sent) == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    assert local_stack.bucket_keys(key) == []


@pytest.mark.parametrize(
    ("size", "code"), [(11, "EntityTooLarge"), (9, "EntityTooSmall")], ids=["larger", "smaller"]
)
def test_a_file_of_another_size_than_its_form_fixes_is_refused(
    local_stack: Stack, alice: StackUser, size: int, code: str
) -> None:
    note_id = alice.create_note("sized")["noteId"]
    form = alice.ask_upload(note_id, "ten.bin", b"0123456789")

    sent = send_to_s3(form, b"x" * size)

    assert sent.status_code == 400
    assert s3_error(sent)[0] == code
    assert [key for key in local_stack.bucket_keys("uploads/") if f"/{note_id}/" in key] == []


@pytest.mark.parametrize(
    "extra",
    [{"x-amz-meta-owner": "mallory"}, {"success_action_status": "201"}, {"acl": "public-read"}],
    ids=["metadata", "status", "acl"],
)
def test_a_form_with_a_field_its_policy_does_not_name_is_refused(
    alice: StackUser, extra: dict[str, str]
) -> None:
    note_id = alice.create_note("fields")["noteId"]
    form = alice.ask_upload(note_id, "a.txt", b"abc")
    name = next(iter(extra))

    sent = send_to_s3({**form, "fields": {**form["fields"], **extra}}, b"abc")

    assert sent.status_code == 403
    assert s3_error(sent) == ("AccessDenied", f"Invalid according to Policy: Extra input fields: {name}")
    # Fields S3 exempts may be added (x-ignore-…), and the form still works.
    assert (
        send_to_s3({**form, "fields": {**form["fields"], "x-ignore-note": "hi"}}, b"abc").status_code == 204
    )


def test_a_form_with_its_signature_or_policy_changed_is_refused(alice: StackUser) -> None:
    note_id = alice.create_note("signed")["noteId"]
    form = alice.ask_upload(note_id, "a.txt", b"abc")
    zeroed = {**form["fields"], "x-amz-signature": "0" * 64}
    other_policy = {
        **form["fields"],
        "policy": "eyJleHBpcmF0aW9uIjogIjIwOTktMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbXX0=",
    }

    for fields in (zeroed, other_policy):
        sent = send_to_s3({**form, "fields": fields}, b"abc")
        assert sent.status_code == 403
        assert s3_error(sent)[0] == "SignatureDoesNotMatch"


# --- presigned GET: the download URL --------------------------------------------------------


def test_a_download_url_altered_is_refused(alice: StackUser, attached: str) -> None:
    url = alice.call("GET", f"/notes/{attached}/attachment").json()["url"]
    query = dict(parse_qsl(urlsplit(url).query))
    later = (datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ") + timedelta(days=1)).strftime(
        "%Y%m%dT%H%M%SZ"
    )

    for altered in (
        with_query(url, **{"X-Amz-Signature": "0" * 64}),
        with_query(url, **{"X-Amz-Expires": "604800"}),
        with_query(url, **{"X-Amz-Date": later}),
        with_query(url, **{"response-content-type": "text/html"}),
    ):
        got = requests.get(altered, timeout=TIMEOUT)
        assert got.status_code == 403, altered
        assert s3_error(got)[0] in ("SignatureDoesNotMatch", "AccessDenied")
        assert b"alice's own file" not in got.content
    zeroed = requests.get(with_query(url, **{"X-Amz-Signature": "0" * 64}), timeout=TIMEOUT)
    assert s3_error(zeroed)[0] == "SignatureDoesNotMatch"
    assert requests.get(with_query(url), timeout=TIMEOUT).content == b"alice's own file"


def test_an_expired_download_url_is_refused(
    local_stack: Stack, attached: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Signed ten minutes ago with the stack's own keys, valid for five.
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10),
    )
    url = signing_client(local_stack, "s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": local_stack.facts.bucket_name, "Key": file_key(local_stack, attached)},
        ExpiresIn=300,
    )

    got = requests.get(url, timeout=TIMEOUT)

    assert got.status_code == 403
    assert s3_error(got) == ("AccessDenied", "Request has expired")


# --- every other S3 request needs the stack's signature ----------------------------------


def test_unsigned_s3_requests_are_refused(local_stack: Stack, attached: str) -> None:
    bucket = f"{local_stack.facts.aws_endpoint}/{local_stack.facts.bucket_name}"
    key = file_key(local_stack, attached)
    before = local_stack.bucket_keys()

    answers = {
        "list": requests.get(bucket, timeout=TIMEOUT),
        "list v2": requests.get(bucket, params={"list-type": "2"}, timeout=TIMEOUT),
        "get": requests.get(f"{bucket}/{key}", timeout=TIMEOUT),
        "put": requests.put(f"{bucket}/{key}", data=b"overwritten", timeout=TIMEOUT),
        "put new": requests.put(f"{bucket}/files/planted", data=b"planted", timeout=TIMEOUT),
        "delete": requests.delete(f"{bucket}/{key}", timeout=TIMEOUT),
        "delete many": requests.post(
            f"{bucket}?delete", data=f"<Delete><Object><Key>{key}</Key></Object></Delete>", timeout=TIMEOUT
        ),
        "list buckets": requests.get(f"{local_stack.facts.aws_endpoint}/", timeout=TIMEOUT),
    }

    for what, answer in answers.items():
        assert answer.status_code == 403, what
        assert s3_error(answer) == ("AccessDenied", "Access Denied"), what
        assert key not in answer.text
    head = requests.head(f"{bucket}/{key}", timeout=TIMEOUT)
    assert head.status_code == 403 and head.content == b""
    assert local_stack.bucket_keys() == before


@pytest.mark.parametrize(
    ("keys", "code"),
    [(("local", "local"), "InvalidAccessKeyId"), ((None, "not-the-secret"), "SignatureDoesNotMatch")],
    ids=["other keys", "wrong secret"],
)
def test_s3_requests_signed_with_other_keys_are_refused(
    local_stack: Stack, attached: str, keys: tuple[str | None, str], code: str
) -> None:
    s3 = signing_client(local_stack, "s3", *keys)
    bucket = local_stack.facts.bucket_name

    for call in (
        lambda: s3.list_objects_v2(Bucket=bucket),
        lambda: s3.get_object(Bucket=bucket, Key=file_key(local_stack, attached)),
        lambda: s3.put_object(Bucket=bucket, Key="files/planted", Body=b"planted"),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == code
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "files/planted" not in local_stack.bucket_keys("files/")


def test_a_body_other_than_the_one_signed_is_refused(local_stack: Stack) -> None:
    s3 = signing_client(local_stack, "s3")
    key = "files/body-swap-test/x/y"

    def swap_body(request: Any, **_: Any) -> None:
        request.body = b"swapped"
        request.headers["Content-Length"] = "7"

    s3.meta.events.register_last("before-send.s3.PutObject", swap_body)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=local_stack.facts.bucket_name, Key=key, Body=b"the one signed")
    assert refused.value.response["Error"]["Code"] == "XAmzContentSHA256Mismatch"
    assert local_stack.bucket_keys(key) == []


def test_the_stack_file_names_its_own_keys_for_its_owner_only(local_stack: Stack) -> None:
    facts = json.loads(Path(local_stack.stack_file).read_text())
    assert facts["awsAccessKeyId"] == local_stack.facts.aws_access_key_id
    assert len(facts["awsAccessKeyId"]) == 20 and facts["awsAccessKeyId"] != "local"
    assert len(facts["awsSecretAccessKey"]) >= 40
    assert Path(local_stack.stack_file).stat().st_mode & 0o077 == 0
    assert facts["awsSecretAccessKey"] not in repr(local_stack.facts)
    # The stack's own pair is accepted.
    assert (
        signing_client(local_stack, "s3").list_objects_v2(Bucket=local_stack.facts.bucket_name)["KeyCount"]
        >= 0
    )


# --- DynamoDB and Cognito --------------------------------------------------------------------


def test_dynamodb_takes_only_the_stacks_signature(
    local_stack: Stack, alice: StackUser, attached: str
) -> None:
    table = local_stack.facts.table_name
    unsigned = requests.post(
        f"{local_stack.facts.aws_endpoint}/",
        data=json.dumps({"TableName": table}),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.Scan"},
        timeout=TIMEOUT,
    )
    assert unsigned.status_code == 400
    assert unsigned.json()["__type"].endswith("#MissingAuthenticationTokenException")
    assert alice.email not in unsigned.text and "Items" not in unsigned.text

    for keys, code in (
        (("local", "local"), "UnrecognizedClientException"),
        ((None, "x"), "InvalidSignatureException"),
    ):
        with pytest.raises(ClientError) as refused:
            signing_client(local_stack, "dynamodb", *keys).scan(TableName=table)
        assert refused.value.response["Error"]["Code"] == code

    assert signing_client(local_stack, "dynamodb").scan(TableName=table, Select="COUNT")["Count"] >= 1


def test_cognito_admin_calls_need_the_stacks_signature_and_open_calls_do_not(local_stack: Stack) -> None:
    pool, client_id = local_stack.facts.user_pool_id, local_stack.facts.user_pool_client_id
    others = signing_client(local_stack, "cognito-idp", "local", "local")
    for call in (
        lambda: others.list_users(UserPoolId=pool),
        lambda: others.admin_delete_user(UserPoolId=pool, Username="nobody@example.com"),
        lambda: others.update_user_pool_client(
            UserPoolId=pool, ClientId=client_id, CallbackURLs=["http://x/"]
        ),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert (
        signing_client(local_stack, "cognito-idp").list_users(UserPoolId=pool, Limit=1)["Users"] is not None
    )

    # What an app calls without AWS credentials stays open, as in AWS (and notes confirm's
    # AdminConfirmSignUp: locally the stand-in for the emailed code).
    email = "open-calls@example.com"
    others.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    others.admin_confirm_sign_up(UserPoolId=pool, Username=email)
    signed_in = local_stack.pool_call("InitiateAuth", password_auth(client_id, email))
    assert signed_in.status_code == 200 and "IdToken" in signed_in.json()["AuthenticationResult"]


def test_the_emulators_own_control_paths_are_not_served(local_stack: Stack) -> None:
    endpoint = local_stack.facts.aws_endpoint
    before = local_stack.bucket_keys()
    for answer in (
        requests.get(f"{endpoint}/moto-api/data.json", timeout=TIMEOUT),
        requests.post(f"{endpoint}/moto-api/reset", timeout=TIMEOUT),
        requests.get(f"{endpoint}/moto-api/", timeout=TIMEOUT),
    ):
        assert answer.status_code == 403
    assert local_stack.bucket_keys() == before


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": "garbage"}, ""),
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/b/c"}, ""),
        ({"Authorization": "AWS local:c2ln"}, ""),
        ({}, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ff&X-Amz-Signature=0"),
        (
            {},
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=nope&X-Amz-Expires=-1&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
        ),
        ({}, "AWSAccessKeyId=local&Signature=x&Expires=1"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, ""),
        ({"Content-Type": "multipart/form-data"}, ""),
        ({"X-Amz-Target": "DynamoDB_20120810.Scan", "Authorization": "AWS4-HMAC-SHA256 x"}, ""),
        ({"X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers", "Authorization": "\u00e9"}, ""),
        ({"X-Amz-Target": "NoSuchService.Call"}, ""),
    ],
)
def test_malformed_credentials_are_refused_never_a_server_error(
    local_stack: Stack, headers: dict[str, str], query: str
) -> None:
    url = f"{local_stack.facts.aws_endpoint}/{local_stack.facts.bucket_name}"
    answer = requests.post(
        f"{url}?{query}" if query else url, data=b"--x\r\nbroken", headers=headers, timeout=TIMEOUT
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text


# --- CORS: only the web app's pages read the emulator's answers ---------------------------


def preflight(url: str, origin: str, method: str = "POST", headers: str = "") -> requests.Response:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return requests.options(url, headers=sent, timeout=TIMEOUT)


def cors_headers(answer: requests.Response) -> dict[str, str]:
    return {
        name: value for name, value in answer.headers.items() if name.lower().startswith("access-control-")
    }


def test_another_origin_reads_nothing_from_s3_cognito_or_dynamodb(
    local_stack: Stack, alice: StackUser, attached: str
) -> None:
    endpoint = local_stack.facts.aws_endpoint
    bucket = f"{endpoint}/{local_stack.facts.bucket_name}"
    origin = {"Origin": FOREIGN_ORIGIN}
    preflights = {
        "S3 upload": preflight(bucket, FOREIGN_ORIGIN),
        "S3 download": preflight(f"{bucket}/{file_key(local_stack, attached)}", FOREIGN_ORIGIN, "GET"),
        "Cognito": preflight(f"{endpoint}/", FOREIGN_ORIGIN, headers="content-type,x-amz-target"),
        "DynamoDB": preflight(
            f"{endpoint}/", FOREIGN_ORIGIN, headers="authorization,content-type,x-amz-date,x-amz-target"
        ),
    }
    for what, answer in preflights.items():
        assert answer.status_code == 403, what
        assert cors_headers(answer) == {}, what

    # What such a page could still send gets no CORS header: the browser keeps the answer from it.
    link = alice.call("GET", f"/notes/{attached}/attachment").json()["url"]
    answers = {
        "S3 download": requests.get(link, headers=origin, timeout=TIMEOUT),
        "S3 list": requests.get(bucket, headers=origin, timeout=TIMEOUT),
        "Cognito": local_stack.pool_call(
            "InitiateAuth",
            password_auth(local_stack.facts.user_pool_client_id, alice.email),
            origin["Origin"],
        ),
        "DynamoDB": _signed_scan_from(local_stack, FOREIGN_ORIGIN),
    }
    assert answers["S3 download"].status_code == 200 and answers["Cognito"].status_code == 200
    for what, answer in answers.items():
        assert cors_headers(answer) == {}, what


def test_the_web_apps_origin_still_reads_cognito_and_the_bucket(local_stack: Stack, alice: StackUser) -> None:
    endpoint, web = local_stack.facts.aws_endpoint, local_stack.facts.web_url
    bucket = f"{endpoint}/{local_stack.facts.bucket_name}"

    cognito = preflight(f"{endpoint}/", web, headers="content-type,x-amz-target")
    assert cognito.status_code == 200 and cognito.headers["Access-Control-Allow-Origin"] == web
    assert "x-amz-target" in cognito.headers["Access-Control-Allow-Headers"].lower()
    upload = preflight(bucket, web)
    assert upload.status_code == 200 and upload.headers["Access-Control-Allow-Origin"] == web

    note_id = alice.create_note("from the page")["noteId"]
    form = alice.ask_upload(note_id, "page.txt", b"from the page")
    sent = requests.post(
        form["url"],
        data=list(form["fields"].items()),
        files={"file": ("page.txt", b"from the page", "text/plain")},
        headers={"Origin": web},
        timeout=TIMEOUT,
    )
    assert sent.status_code == 204 and sent.headers["Access-Control-Allow-Origin"] == web
    # A refusal is readable too, so that the page can say why.
    refused = requests.post(
        form["url"],
        data=list({**form["fields"], "key": "files/elsewhere"}.items()),
        files={"file": ("page.txt", b"from the page", "text/plain")},
        headers={"Origin": web},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 403 and refused.headers["Access-Control-Allow-Origin"] == web
    signed_in = local_stack.pool_call(
        "InitiateAuth", password_auth(local_stack.facts.user_pool_client_id, alice.email), web
    )
    assert signed_in.status_code == 200 and signed_in.headers["Access-Control-Allow-Origin"] == web


def password_auth(client_id: str, email: str) -> dict[str, Any]:
    """InitiateAuth's body for a sign-in with the suite's password."""
    return {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
    }


def _signed_scan_from(stack: Stack, origin: str) -> requests.Response:
    """A DynamoDB Scan signed with the stack's pair, sent with a page's ``Origin``."""

    request = AWSRequest(
        method="POST",
        url=f"{stack.facts.aws_endpoint}/",
        data=json.dumps({"TableName": stack.facts.table_name}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.Scan",
            "Origin": origin,
        },
    )
    keys = Credentials(stack.facts.aws_access_key_id, stack.facts.aws_secret_access_key)
    SigV4Auth(keys, "dynamodb", stack.facts.region).add_auth(request)
    answer = requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer
