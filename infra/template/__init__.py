"""Render a deployed stage's resources as CloudFormation, merged into Chalice's own template.

``chalice package --merge-template`` deep-merges this document into the
template Chalice generates (dictionaries are merged, anything else replaced),
so besides adding the pool, its client, the tables, the attachments bucket and the
web app's hosting (a private bucket behind CloudFront), it rewires what Chalice can
only fill with import-time strings: the authorizer's provider ARN, each function's
environment and its role's policy, each by reference to the resources of the same
stack, and gives the stream functions their event sources. ``bind_preflight_origin``
then sets the web app's origin on the OPTIONS methods Chalice generates, which a merge
cannot reach without knowing every path.

The web app's origin, ``https://<the distribution's domain>``, is the only one the
API and the attachments bucket allow. So the API, the function and the bucket
depend on the distribution, and the distribution depends on none of them: its
content security policy names the API and the bucket by their region's host
patterns, not by reference (a reference would close a circle).

Every value comes from the stage's description (``infra.description``); each module renders
one part of the stack:

- ``cognito``: the user pool and its clients, by the stage's auth mode (none for an existing pool);
- ``tables``: the stage's tables;
- ``bucket``: the attachments bucket and its policy;
- ``web``: the web app's bucket, distribution and headers;
- ``functions``: the four functions' environment, event sources and log groups;
- ``roles``: the four functions' permissions;
- ``api``: the REST API's throttling, CORS answers and authorizer, and the preflights' origin;
- ``alarms``: the alarms and their topic;
- ``outputs``: the stack's outputs;
- ``build``: the whole document, ``merge_template``.
"""

from __future__ import annotations

from infra.template.alarms import ALARMS
from infra.template.api import api_name, bind_preflight_origin
from infra.template.build import merge_template
from infra.template.cognito import auth_domain, domain_prefix
from infra.template.functions import filter_criteria
from infra.template.outputs import AUTH_DOMAIN_OUTPUT, AUTH_MODE_OUTPUT, OAUTH_CLIENT_OUTPUTS, WS_URL_OUTPUT
from infra.template.roles import indexer_policy, jobs_policy, purger_policy, role_policy
from infra.template.web import content_security_policy

__all__ = [
    "ALARMS",
    "AUTH_DOMAIN_OUTPUT",
    "AUTH_MODE_OUTPUT",
    "OAUTH_CLIENT_OUTPUTS",
    "WS_URL_OUTPUT",
    "api_name",
    "auth_domain",
    "bind_preflight_origin",
    "content_security_policy",
    "domain_prefix",
    "filter_criteria",
    "indexer_policy",
    "jobs_policy",
    "merge_template",
    "purger_policy",
    "role_policy",
]
