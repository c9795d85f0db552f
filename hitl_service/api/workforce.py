"""Workforce operations of the SageMaker control plane; merged into control.OPERATIONS."""

from __future__ import annotations

from hitl_service.workforce import service
from schemas.workforce import dump_workforce


def _dump(ctx, record) -> dict:
    return dump_workforce(record, ctx.arns.workforce(record.name), service.subdomain(ctx))


def create_workforce(ctx, req):
    return service.create_workforce(ctx, req)


def describe_workforce(ctx, req):
    return {"Workforce": _dump(ctx, service.get_workforce(ctx, req["WorkforceName"]))}


def update_workforce(ctx, req):
    return {"Workforce": _dump(ctx, service.update_workforce(ctx, req))}


def list_workforces(ctx, req):
    records, token = service.list_workforces(ctx, req)
    body = {"Workforces": [_dump(ctx, r) for r in records]}
    if token:
        body["NextToken"] = token
    return body


def delete_workforce(ctx, req):
    service.delete_workforce(ctx, req["WorkforceName"])
    return {}


OPERATIONS = {
    "CreateWorkforce": create_workforce,
    "DescribeWorkforce": describe_workforce,
    "UpdateWorkforce": update_workforce,
    "ListWorkforces": list_workforces,
    "DeleteWorkforce": delete_workforce,
}
