"""'What am I looking at?': one or two plain sentences for every chart in the app, in one place so the
words stay consistent (perplexity, entropy in bits, held-out, macro-F1 mean the same on every page).

Pages name a chart by its id when they draw it (`explorer.ui.presenter.show_chart(…, about="mlm")`).
"""

from __future__ import annotations

PREFIX = "**What am I looking at?** "  # markdown: a caption, bold lead

HELP: dict[str, str] = {
    # pretrain page
    "mlm": "Left: how wrong the guesses for the hidden words are (lower is better); dashed: blind guessing among "
    "all word pieces; diamonds: held-out text the model never trains on. Right: the share guessed exactly. Green "
    "bands: where a fully trained BERT-base ends.",
    "nsp": "Can the model tell whether sentence B really followed sentence A? 50% is a coin flip (dashed) and "
    "the green band a fully trained BERT-base (97–98%); diamonds are held-out text the model never trains on.",
    "lr": "How big a step the model takes at each update: it ramps up during warmup, then shrinks slowly to "
    "zero so training settles down.",
    "speed": "Word pieces processed per second: how fast this computer trains. It does not say how well the "
    "model learns.",
    # runs page
    "overlay": "The masked-word loss of several runs on one chart, smoothed. Lower is better; a curve that is "
    "still falling would gain from more steps.",
    # tokenizer page
    "vocab": "Left: how many pieces an average word is cut into (fewer means shorter inputs). Right: how often "
    "a piece is unknown ([UNK]) to the vocabulary.",
    # fill-in-the-blank page
    "topk": "The model's top guesses for the blank and how sure it is of each, in percent. Perplexity is the "
    "same idea for a whole text: the number of words the model is, on average, choosing between.",
    "lens": "One row per layer, from the embeddings (top) to the last layer (bottom): the guesses the model "
    "would make if it stopped after that layer. Darker is more sure. The bottom row is its real answer.",
    # attention page
    "attn_rollout": "One map for the whole model: row i is a token at the top of the model, and its colours "
    "say which input tokens its information came from, through every layer. Each row adds up to 1.",
    "attn_grid": "One small square per layer (row) and head (column). In each square a row is a word and the "
    "bright cells show which words it looks at. Click a square to enlarge it.",
    "attn_heatmap": "One head, enlarged: each row is a word, and the brightness of a cell shows how much that "
    "word looks at the word of that column. Every row adds up to 100%.",
    "attn_stats": "One number per head. Entropy in bits: 0 when a head looks at a single word, higher when it "
    "spreads its attention (each extra bit doubles the number of words it looks at).",
    # time-lapse (pretrain and runs pages)
    "lapse_head": "One head through training: solid lines are the shares of its attention going to [CLS], [SEP], "
    "the previous word, the next word and itself; dotted is its entropy (right axis). A line that climbs and stays "
    "high is the head finding its job.",
    "lapse_words": "The followed words at this step, squashed onto a flat map the same way at every step. Words "
    "of a coloured group that drift together are words the model has learned to use alike.",
    # embeddings page
    "emb_scatter": "Every dot is a text (or a word) turned into a vector by the model and squashed onto a flat "
    "map. Dots close together mean the model sees them as similar.",
    # fine-tune page
    "ft_curves": "Left: the training loss (lower is better). Right: how often the answer is right; the dotted "
    "lines are held-out (dev) examples, which the model never trains on. Macro-F1 averages the score of each "
    "class, so a model that always says the same class scores low.",
    "macro_f1": "Macro-F1 scores each label on its own (does the model find that label, and is it right when "
    "it says it?) and averages them, so a model that always gives the same answer scores low.",
    "ft_confusion": "Rows are the true labels, columns the model's answers on the held-out examples: the "
    "diagonal is what it got right, the other cells its mistakes.",
    "ft_probs": "How sure the model is of each label for your sentence, in percent.",
    "qa_probs": "For every word of the context: how likely the answer starts there (green) and ends there "
    "(red). The answer is the best start–end pair.",
    "ft_embeddings": "The same held-out texts mapped before and after fine-tuning, coloured by their true label: "
    "after training, the labels should form separate groups.",
    "ft_attention": "How much the [CLS] summary position looks at each word in the last layer, before and after "
    "fine-tuning: the words the model learned to rely on.",
}


def text(chart: str) -> str:
    """The help sentences for chart id `chart`.

    Raises:
        KeyError: an unknown chart id (every chart must have its sentences here).
    """
    return HELP[chart]


def caption(chart: str) -> str:
    """The caption shown under a chart: the prefix and its sentences."""
    return PREFIX + text(chart)
