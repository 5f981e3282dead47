"""Warnings about what the data can support: a vocabulary the corpus cannot fill, a held-out set too
small for its numbers to mean anything. Plain functions returning text (or None), for the pages."""

from __future__ import annotations

from collections.abc import Mapping

from bert_core.pretraining.setup import PretrainSpec

# The standard error of an accuracy p measured on n examples is sqrt(p(1 - p) / n): at p = 0.5 it is
# 7 points for 50 NSP pairs (a 95% interval of ±14 points, so 60% and 75% are not told apart) and
# 3.5 points for 200 masked tokens. Below these sizes the held-out numbers are mostly noise; with 2
# documents, NSP's "random" second sentences all come from the one other document.
MIN_HELDOUT_PAIRS = 50
MIN_HELDOUT_MASKED = 200


def vocab_notice(requested: int, reachable: int, exact: bool) -> str | None:
    """A warning when a trained vocabulary cannot reach the requested size (None when it can)."""
    if requested <= reachable or not exact:
        return None
    return (
        f"This corpus yields at most **{reachable:,}** word pieces, so asking for {requested:,} gives about "
        f"{reachable:,} (a trial training stops there: no pair of pieces occurs twice any more). A bigger "
        "corpus gives a bigger vocabulary."
    )


def heldout_plan(documents: int, fraction: float = PretrainSpec.eval_fraction) -> str:
    """How many documents a run will hold out (as `bert_core.pretraining.setup.split_documents` does;
    `prepare_pretraining` evaluates only on 2 or more)."""
    held = int(documents * fraction)
    if held < 2 or documents - held < 2:
        return "no documents held out (too few): no held-out numbers"
    return f"**{held:,}** held out for evaluation"


def standard_error(accuracy: float, n: float) -> float:
    """The standard error of an accuracy measured on `n` examples (binomial)."""
    return (accuracy * (1 - accuracy) / n) ** 0.5 if n > 0 else float("inf")


def heldout_size(metrics: Mapping[str, float]) -> str:
    """ "3 documents · 12 pairs · 45 masked tokens" of a held-out evaluation ("" for older records)."""
    parts = [
        (metrics.get("eval_documents"), "document"),
        (metrics.get("eval_pairs"), "pair"),
        (metrics.get("eval_masked"), "masked token"),
    ]
    return " · ".join(f"{int(n):,} {name}{'s' if int(n) != 1 else ''}" for n, name in parts if n is not None)


def heldout_warning(metrics: Mapping[str, float]) -> str | None:
    """A warning when the held-out set behind `metrics` is too small to mean anything (None otherwise,
    and for records from before the sizes were recorded)."""
    pairs, masked = metrics.get("eval_pairs"), metrics.get("eval_masked")
    if pairs is None or masked is None or (pairs >= MIN_HELDOUT_PAIRS and masked >= MIN_HELDOUT_MASKED):
        return None
    nsp = 100 * 1.96 * standard_error(0.5, pairs)
    return (
        f"The held-out set is tiny ({heldout_size(metrics)}): an NSP accuracy measured on {int(pairs)} pairs "
        f"is uncertain by about ±{nsp:.0f} points, so its numbers can contradict each other. Upload a corpus "
        f"with more documents (at least {MIN_HELDOUT_PAIRS} held-out pairs and {MIN_HELDOUT_MASKED} masked "
        "tokens) for numbers that mean something."
    )
