"""The stage's alarms and the topic they notify: the API's 5xx rate, the functions' errors and
throttles, the search index's lag and the notes table's throttling, over 5-minute periods
(thresholds: ``description.operations_settings``; the README's "Operating a stage")."""

from __future__ import annotations

from typing import Any

from infra import description
from infra.template.api import API_STAGE, api_name
from infra.template.functions import FOLLOWER, FUNCTION, INDEXER, JOBS, PURGER, WS_CONNECT, WS_MESSAGE
from infra.template.tables import TABLE

ALARM_TOPIC = "AlarmTopic"
ALARMS = (
    "Api5xxRateAlarm",
    "FunctionErrorsAlarm",
    "FunctionThrottlesAlarm",
    "TableThrottlesAlarm",
    "IndexerErrorsAlarm",
    "IndexerLagAlarm",
    "FollowerErrorsAlarm",
    "FollowerLagAlarm",
    "WsConnectErrorsAlarm",
    "WsMessageErrorsAlarm",
    "PurgeErrorsAlarm",
    "JobsErrorsAlarm",
)


def alarm_topic(email: str | None) -> dict[str, Any]:
    """The topic every alarm notifies, ``email`` subscribed to it when given."""
    # Not encrypted with the AWS-managed SNS key: CloudWatch alarms cannot publish to a topic
    # that uses it. Alarms carry no user data.
    properties: dict[str, Any] = {"DisplayName": "notes alarms"}
    if email:
        properties["Subscription"] = [{"Protocol": "email", "Endpoint": email}]
    return {"Type": "AWS::SNS::Topic", "Properties": properties}


def _alarm(description_text: str, metric: dict[str, Any], threshold: float) -> dict[str, Any]:
    """An alarm over 5-minute periods that notifies the topic when it fires and when it clears."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description_text,
            **metric,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            # No traffic is not a failure.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


def alarms(stage: str) -> dict[str, Any]:
    """The stage's alarms (``ALARMS``), each with what to do when it fires."""
    period = description.ALARM_PERIOD_SECONDS
    function = [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]
    indexer = [{"Name": "FunctionName", "Value": {"Ref": INDEXER}}]
    follower = [{"Name": "FunctionName", "Value": {"Ref": FOLLOWER}}]
    ws_connect = [{"Name": "FunctionName", "Value": {"Ref": WS_CONNECT}}]
    ws_message = [{"Name": "FunctionName", "Value": {"Ref": WS_MESSAGE}}]
    purger = [{"Name": "FunctionName", "Value": {"Ref": PURGER}}]
    jobs = [{"Name": "FunctionName", "Value": {"Ref": JOBS}}]
    table = [{"Name": "TableName", "Value": {"Ref": TABLE}}]

    def single(namespace: str, name: str, dimensions: list[dict[str, Any]], statistic: str) -> dict[str, Any]:
        return {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": period,
        }

    def throttle_events(name: str, id_: str) -> dict[str, Any]:
        stat = {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": name, "Dimensions": table},
            "Period": period,
        }
        return {"Id": id_, "MetricStat": {**stat, "Stat": "Sum"}, "ReturnData": False}

    api = [{"Name": "ApiName", "Value": api_name(stage)}, {"Name": "Stage", "Value": API_STAGE}]
    return {
        "Api5xxRateAlarm": _alarm(
            f"More than {description.API_5XX_RATE_THRESHOLD:.0%} of the {stage} API's answers in 5 minutes "
            "were 5xx: read the function's errors (make logs) and the alarms beside this one.",
            single("AWS/ApiGateway", "5XXError", api, "Average"),
            description.API_5XX_RATE_THRESHOLD,
        ),
        "FunctionErrorsAlarm": _alarm(
            f"The {stage} function failed (an error it did not answer, a timeout or a crash): "
            "make logs shows the exception on its request id.",
            single("AWS/Lambda", "Errors", function, "Sum"),
            0,
        ),
        "FunctionThrottlesAlarm": _alarm(
            f"Lambda refused to run the {stage} function (account or function concurrency reached).",
            single("AWS/Lambda", "Throttles", function, "Sum"),
            0,
        ),
        "IndexerErrorsAlarm": _alarm(
            f"The {stage} search indexer failed on a batch of the notes table's stream: Lambda retries "
            "it; make logs shows why. Notes changed meanwhile may not be found until it succeeds.",
            single("AWS/Lambda", "Errors", indexer, "Sum"),
            0,
        ),
        "IndexerLagAlarm": _alarm(
            f"The {stage} search index fell more than {description.INDEX_DELAY_SECONDS} s behind the notes "
            "table: new words are found later than the API promises.",
            single("AWS/Lambda", "IteratorAge", indexer, "Maximum"),
            description.INDEX_DELAY_SECONDS * 1000,
        ),
        "FollowerErrorsAlarm": _alarm(
            f"The {stage} change feed's function failed on a batch of the notes table's stream: Lambda "
            "retries it; make logs shows why. Other devices see the changes meanwhile only when "
            "they start their feed again.",
            single("AWS/Lambda", "Errors", follower, "Sum"),
            0,
        ),
        "FollowerLagAlarm": _alarm(
            f"The {stage} change feed fell more than {description.INDEX_DELAY_SECONDS} s behind the notes "
            "table: other devices learn of changes later than the API promises.",
            single("AWS/Lambda", "IteratorAge", follower, "Maximum"),
            description.INDEX_DELAY_SECONDS * 1000,
        ),
        "WsConnectErrorsAlarm": _alarm(
            f"The {stage} WebSocket connect handler failed (an error it did not answer, a timeout or a "
            "crash): clients cannot open live updates and fall back to pulling the change feed; "
            "its log group (output WsConnectFunctionName) shows why.",
            single("AWS/Lambda", "Errors", ws_connect, "Sum"),
            0,
        ),
        "WsMessageErrorsAlarm": _alarm(
            f"The {stage} WebSocket message handler failed on a client's message (a keep-alive): the "
            "connection stays open; its log group shows why.",
            single("AWS/Lambda", "Errors", ws_message, "Sum"),
            0,
        ),
        "PurgeErrorsAlarm": _alarm(
            f"The {stage} purge function failed on a batch of the trash table's TTL deletions: Lambda "
            "retries it; its log group (output PurgeFunctionName) shows why. The purged notes' files "
            "stay in the bucket until it succeeds.",
            single("AWS/Lambda", "Errors", purger, "Sum"),
            0,
        ),
        "JobsErrorsAlarm": _alarm(
            f"The {stage} jobs function failed on an export or an account deletion (an error, a timeout "
            "or a crash): Lambda retries it; its log group (output JobsFunctionName) shows why. The "
            "export stays pending, or the account's data is not all deleted yet, until it succeeds.",
            single("AWS/Lambda", "Errors", jobs, "Sum"),
            0,
        ),
        "TableThrottlesAlarm": _alarm(
            f"DynamoDB throttled reads or writes of the {stage} notes table; callers got 503s.",
            {
                "Metrics": [
                    throttle_events("ReadThrottleEvents", "reads"),
                    throttle_events("WriteThrottleEvents", "writes"),
                    {"Id": "throttled", "Expression": "reads + writes", "ReturnData": True},
                ]
            },
            0,
        ),
    }
