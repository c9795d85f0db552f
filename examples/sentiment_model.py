"""A tiny sentiment model that asks a human when it is unsure (the A2I pattern, against hitl-service).

The model is a three-class linear scorer (softmax over per-class word weights) with its whole
lexicon in this file, so it needs no download. It labels a sentence -1 (negative), 0 (neutral) or
1 (positive) and reports the softmax probability of that label as its confidence. It is a toy: a
few dozen words, a crude negation rule, no training. It only has to be confident on clear
sentences ("I enjoy this product") and unsure on lukewarm ones ("It is okay").

``review_if_unsure`` sends every prediction to StartHumanLoop with boto3. The flow definition's
activation condition (``ModelConfidenceCheck`` on ``$.prediction.confidence`` with
``LessThan: 0.9``) decides on the server whether a person looks at it, so the model code does not
hard-code the threshold.

Run it alone to see its predictions:  python examples/sentiment_model.py "It is okay" "I love it"
"""

from __future__ import annotations

import json
import math
import re
import sys

LABELS = (-1, 0, 1)

# Class biases: with no known words the model leans neutral but is far from sure.
BIAS = {-1: 0.0, 0: 0.3, 1: 0.0}

# word -> (weight for -1, weight for 0, weight for 1)
WEIGHTS: dict[str, tuple[float, float, float]] = {
    # clearly positive
    "enjoy": (-1.0, 0.0, 3.5), "enjoyed": (-1.0, 0.0, 3.5), "love": (-1.2, -0.2, 3.8),
    "loved": (-1.2, -0.2, 3.8), "great": (-1.0, 0.0, 3.2), "excellent": (-1.2, -0.2, 3.8),
    "amazing": (-1.2, -0.2, 3.8), "wonderful": (-1.2, -0.2, 3.6), "fantastic": (-1.2, -0.2, 3.8),
    "perfect": (-1.0, -0.2, 3.4), "happy": (-0.8, 0.0, 2.8), "recommend": (-0.8, 0.0, 2.8),
    "good": (-0.6, 0.4, 2.2), "nice": (-0.5, 0.4, 2.0), "like": (-0.4, 0.3, 1.6),
    "works": (-0.4, 0.4, 1.4), "best": (-1.0, 0.0, 3.0),
    # clearly negative
    "hate": (3.8, -0.2, -1.2), "hated": (3.8, -0.2, -1.2), "terrible": (3.8, -0.2, -1.2),
    "awful": (3.8, -0.2, -1.2), "horrible": (3.8, -0.2, -1.2), "worst": (3.6, -0.2, -1.0),
    "bad": (2.4, 0.3, -0.8), "poor": (2.4, 0.3, -0.8), "broken": (3.0, 0.0, -1.0),
    "disappointed": (3.2, 0.0, -1.0), "disappointing": (3.2, 0.0, -1.0), "refund": (2.6, 0.2, -1.0),
    "useless": (3.4, -0.2, -1.0), "waste": (3.2, 0.0, -1.0), "annoying": (2.8, 0.0, -0.8),
    # lukewarm
    "okay": (-0.2, 1.0, 0.5), "ok": (-0.2, 1.0, 0.5), "fine": (-0.2, 1.0, 0.6),
    "average": (0.2, 1.2, -0.2), "alright": (-0.2, 1.0, 0.5), "decent": (-0.3, 1.0, 0.8),
    "mediocre": (0.8, 1.0, -0.6), "meh": (0.6, 1.2, -0.4),
}
NEGATORS = frozenset({"not", "no", "never", "hardly", "isn't", "wasn't", "don't", "doesn't", "didn't", "can't"})
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def predict(text: str) -> tuple[int, float]:
    """(label in -1/0/1, confidence in [0, 1]) for one sentence."""
    logits = dict(BIAS)
    negate = 0  # a negator flips positive and negative weights of the next two words
    for token in _TOKEN.findall(text.lower()):
        if token in NEGATORS:
            negate = 2
            continue
        weights = WEIGHTS.get(token)
        if weights is not None:
            neg, neu, pos = weights
            if negate:
                neg, pos = pos, neg
            logits[-1] += neg
            logits[0] += neu
            logits[1] += pos
        negate = max(0, negate - 1)
    top = max(logits.values())
    exp = {label: math.exp(v - top) for label, v in logits.items()}
    total = sum(exp.values())
    label = max(LABELS, key=lambda k: exp[k])
    return label, exp[label] / total


def input_content(text: str, label: int, confidence: float) -> str:
    """The InputContent a loop gets: the text, the model's answer, and its confidence."""
    return json.dumps({
        "taskObject": text,
        "initialValue": str(label),
        "prediction": {"label": label, "confidence": round(confidence, 4)},
    }, ensure_ascii=False)


def review_if_unsure(a2i, flow_definition_arn: str, text: str, loop_name: str) -> dict:
    """Predict, then call StartHumanLoop; the flow's activation condition decides whether a person reviews.

    Returns ``{"text", "label", "confidence", "humanLoopArn" (None when no loop was created),
    "activation" (hitl-service's HumanLoopActivationOutput, read from the raw response body because
    boto3 drops members its model lacks; None from a service that does not send it)}``.
    """
    label, confidence = predict(text)
    raw: dict = {}

    def keep_body(http_response, **_):
        try:
            raw["body"] = json.loads(http_response.content or b"{}")
        except ValueError:
            raw["body"] = {}

    event = "after-call.sagemaker-a2i-runtime.StartHumanLoop"
    a2i.meta.events.register(event, keep_body)
    try:
        response = a2i.start_human_loop(
            HumanLoopName=loop_name, FlowDefinitionArn=flow_definition_arn,
            HumanLoopInput={"InputContent": input_content(text, label, confidence)})
    finally:
        a2i.meta.events.unregister(event, keep_body)
    return {"text": text, "label": label, "confidence": confidence,
            "humanLoopArn": response.get("HumanLoopArn"),
            "activation": raw.get("body", {}).get("HumanLoopActivationOutput")}


def main(argv: list[str]) -> int:
    texts = argv or ["I enjoy this product", "It is okay", "This is the worst purchase ever"]
    for text in texts:
        label, confidence = predict(text)
        print(f"{label:>2}  {confidence:.3f}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
