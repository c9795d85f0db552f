"""A large, non-ASCII InputContent (stored compressed, issue 17 item 3) reaches reviewers and the
output.json exactly as it was sent: boto3 starts the loop, a real Celery worker routes and finalizes
it, a reviewer works it through the review JSON API over real HTTP."""

from __future__ import annotations

import json
import random

from tests.services.test_review_queue import Reviewer, describe, output_document, team_and_flow
from tests.conftest import wait_until


def document(size: int) -> str:
    rnd = random.Random(size)
    words = ["Grüße", "日本語", "über", "naïve", "façade", "🙂", "total", "montant dû", "Ωμέγα"]
    blocks = []
    while len(json.dumps(blocks, ensure_ascii=False)) < size:
        blocks.append({"id": rnd.getrandbits(48), "text": " ".join(rnd.choice(words) for _ in range(6))})
    return json.dumps({"taskObject": "s3://b/doc.png", "blocks": blocks}, ensure_ascii=False, indent=1)


def test_a_100_kb_non_ascii_input_reaches_the_reviewer_and_the_output_exactly(service, sm, a2i, worker):
    _, _, flow_arn = team_and_flow(sm, task_count=1)
    content = document(100_000)
    a2i.start_human_loop(HumanLoopName="big-input", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": content})
    # an identical repeat is the same loop; the record keeps the exact text (whitespace included)
    a2i.start_human_loop(HumanLoopName="big-input", FlowDefinitionArn=flow_arn,
                         HumanLoopInput={"InputContent": content})
    assert service.ctx.store.loops.get("big-input")["input"] == content
    reviewer = Reviewer(service)
    assignment = reviewer.claim_wait("big-input")
    view = reviewer.get(f"/assignments/{assignment['token']}").json()
    assert view["input"] == json.loads(content)
    assert reviewer.submit(assignment["token"], {"answer": "ok"}).status_code == 200
    wait_until(lambda: describe(a2i, "big-input")["HumanLoopStatus"] == "Completed", message="loop Completed")
    doc = output_document(service, describe(a2i, "big-input")["HumanLoopOutput"]["OutputS3Uri"])
    assert doc["inputContent"] == json.loads(content)
