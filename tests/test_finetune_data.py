"""Fine-tuning data: sentiment tables and label mapping, SQuAD parsing/repair, windowing round trip, cloze."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from bert_core.data.corpus import CorpusError
from bert_core.finetuning.data.cloze import BLANK, cloze_candidates, generate_cloze
from bert_core.finetuning.data.qa import load_qa
from bert_core.finetuning.data.sentiment import examples_from_rows, load_sentiment, split_examples, table_columns
from bert_core.finetuning.data.squad import load_qa_builtin, load_squad, parse_squad
from bert_core.finetuning.qa_features import answer_token_span, make_features, predict_answers
from bert_core.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def tokenizer(minilm_path: Path) -> Tokenizer:
    return Tokenizer.from_pretrained(minilm_path)


# ------------------------------------------------------------------ sentiment
def test_string_labels_map_sorted_and_empty_texts_are_dropped() -> None:
    rows = [
        {"review": "good", "stars": "pos"},
        {"review": " ", "stars": "neg"},
        {"review": "bad", "stars": "neg"},
        {"review": "meh", "stars": "mid"},
    ]
    examples, labels, dropped = examples_from_rows(rows, "review", "stars")
    assert labels == ["mid", "neg", "pos"] and dropped == 1
    assert [(e.text, e.label) for e in examples] == [("good", 2), ("bad", 1), ("meh", 0)]
    numeric = examples_from_rows([{"text": "a", "label": "10"}, {"text": "b", "label": "2"}])[1]
    assert numeric == ["2", "10"]  # integers sort numerically, columns guessed


@pytest.mark.parametrize(
    "name, body",
    [
        ("u.csv", "text,label\ngreat film,pos\nawful,neg\n,neg\nfine,pos\n"),
        ("u.tsv", "text\tlabel\ngreat film\tpos\nawful\tneg\n\tneg\nfine\tpos\n"),
        (
            "u.jsonl",
            '{"text": "great film", "label": "pos"}\n{"text": "awful", "label": "neg"}\n'
            '{"text": "", "label": "neg"}\n\n{"text": "fine", "label": "pos"}\n',
        ),
    ],
)
def test_uploads_as_bytes(name: str, body: str) -> None:
    assert table_columns(body.encode(), name=name) == ["text", "label"]
    data = load_sentiment(body.encode(), name=name, dev_fraction=0.34, seed=1)
    assert data.labels == ["neg", "pos"] and data.dropped_empty == 1 and data.notes
    assert len(data.train) + len(data.dev) == 3 and len(data.dev) == 1


@pytest.mark.parametrize(
    "name, body, message",
    [
        ("a.csv", "text,label\nx,pos\ny,pos\n", "single class"),
        ("a.csv", "text,label\nx,pos\ny,neg\n", "no column 'sentiment'"),
        ("a.csv", "words,stars\nx,1\n", "choose the text column"),
        ("a.jsonl", '{"text": "x", "label": "a"}\nnot json\n', "line 2 is not valid JSON"),
        ("a.xlsx", "whatever", "unsupported data file type"),
        ("a.csv", "", "is empty"),
        ("a.csv", "text,label\nx,\n", "empty 'label' label"),
    ],
)
def test_upload_errors_are_one_clear_line(name: str, body: str, message: str) -> None:
    label_column = "sentiment" if "sentiment" in message else None
    with pytest.raises(CorpusError, match=message):
        load_sentiment(body.encode(), name=name, label_column=label_column)


def test_too_many_classes_means_wrong_column() -> None:
    rows = [{"text": f"t{i}", "id": str(i)} for i in range(150)]
    with pytest.raises(CorpusError, match="150 distinct values"):
        examples_from_rows(rows, "text", "id")


def test_labels_fixed_by_a_model_reject_unknown_classes() -> None:
    rows = [{"text": "a", "label": "pos"}, {"text": "b", "label": "meh"}]
    with pytest.raises(CorpusError, match=r"\['meh'\] are not among"):
        examples_from_rows(rows, labels=["neg", "pos"])
    assert examples_from_rows(rows[:1], labels=["neg", "pos"])[0][0].label == 1  # one class is fine here


def test_builtin_sets_and_seeded_split() -> None:
    tiny = load_sentiment("builtin:pang_lee", dev_fraction=0.2, seed=0)
    assert tiny.labels == ["neg", "pos"] and (len(tiny.train), len(tiny.dev)) == (160, 40)
    again = load_sentiment("builtin:pang_lee", dev_fraction=0.2, seed=0)
    assert [e.text for e in again.dev] == [e.text for e in tiny.dev]
    other = split_examples(tiny.train + tiny.dev, 0.2, seed=1)[1]
    assert [e.text for e in other] != [e.text for e in tiny.dev]
    rt = load_sentiment("builtin:rotten_tomatoes")
    assert rt.labels == ["fresh", "rotten"] and len(rt.train) + len(rt.dev) == 12_808 and len(rt.dev) == 1281
    with pytest.raises(CorpusError, match="unknown built-in"):
        load_sentiment("builtin:imdb")


# ------------------------------------------------------------------ SQuAD format
def squad(context: str, answer: str, start: int, **qa) -> dict:
    return {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Where?",
                                "answers": [{"text": answer, "answer_start": start}],
                                **qa,
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_builtin_qa_set_is_valid_and_split_by_passage() -> None:
    train, dev = load_qa_builtin("train"), load_qa_builtin("dev")  # strict: every answer_start matches
    everything = train + dev
    assert len(everything) >= 200 and len({e.context for e in everything}) >= 30
    assert not {e.context for e in train} & {e.context for e in dev} and len(dev) >= 40
    for e in everything:
        a = e.answers[0]
        assert e.context[a.start : a.end] == a.text and e.question.endswith("?")
        assert 80 <= len(e.context.split()) <= 150
    assert len({e.id for e in everything}) == len(everything)


def test_answer_start_repaired_nearby_or_strict_error() -> None:
    obj = squad("Paris is big. Paris is old.", "Paris", 12)  # points at ". P": nearest Paris is at 14
    examples, repaired, _ = parse_squad(obj)
    assert examples[0].answers[0].start == 14 and repaired == ["q1"]
    with pytest.raises(CorpusError, match="question 'q1': answer_start 12 points at"):
        parse_squad(obj, strict=True)
    with pytest.raises(CorpusError, match="question 'q1': answer 'Rome' does not occur"):
        parse_squad(squad("Paris is big.", "Rome", 0))


@pytest.mark.parametrize(
    "obj, message",
    [
        ([], "top level must be a dict"),
        ({"data": [{"paragraphs": [{"qas": []}]}]}, r"context must be a str"),
        (
            {"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "x", "question": "q?", "answers": []}]}]}]},
            "'x' has no answers",
        ),
        ({"data": []}, "holds no questions"),
    ],
)
def test_bad_squad_shapes(obj, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_squad(obj)


def test_squad_v2_file_upload(tmp_path: Path) -> None:
    obj = squad("Karl Drais built it in 1817.", "1817", 23)
    obj["data"][0]["paragraphs"][0]["qas"].append(
        {"id": "q2", "question": "Who?", "answers": [], "is_impossible": True, "plausible_answers": []}
    )
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    data = load_squad(path)
    assert data.version_2 and [e.is_impossible for e in data.train] == [False, True]
    with pytest.raises(CorpusError, match="not valid JSON"):
        load_squad(b"{nope", name="x.json")


# ------------------------------------------------------------------ windows
def test_windowing_round_trip_across_boundaries(tokenizer: Tokenizer) -> None:
    examples = load_qa_builtin("all")
    stride = 12
    features = make_features(examples, tokenizer, max_seq_length=48, doc_stride=stride, max_query_length=20)
    assert max(len(f) for f in features) <= 48
    recovered, windows = set(), {}
    for f in features:
        windows[f.example_index] = windows.get(f.example_index, 0) + 1
        assert f.input_ids[0] == tokenizer.cls_token_id and f.input_ids[-1] == tokenizer.sep_token_id
        if f.start_position:
            e = examples[f.example_index]
            text = e.context[f.offsets[f.start_position][0] : f.offsets[f.end_position][1]]
            assert text == e.answers[0].text  # exact, from the offsets alone
            recovered.add(f.example_index)
        else:
            assert f.end_position == 0
    assert min(windows.values()) >= 3  # every passage is cut
    for i, e in enumerate(examples):
        offsets = [tuple(o) for o in tokenizer.backend.encode(e.context, add_special_tokens=False).offsets]
        first, last = answer_token_span(offsets, e.answers[0].start, e.answers[0].end)
        if last - first + 1 <= stride + 1:  # fits in the overlap: some window must hold it whole
            assert i in recovered, e.id
    # Consecutive windows of one example overlap by exactly `doc_stride` context tokens.
    first_two = [f for f in features if f.example_index == 0][:2]
    ctx = [[o for o in f.offsets if o is not None] for f in first_two]
    assert ctx[0][-stride:] == ctx[1][:stride]


def test_decoding_recovers_gold_answers_from_peaked_logits(tokenizer: Tokenizer) -> None:
    examples = load_qa_builtin("dev")
    features = make_features(examples, tokenizer, max_seq_length=64, doc_stride=16, max_query_length=24)
    starts, ends = [], []
    for f in features:
        s, e = torch.zeros(len(f)), torch.zeros(len(f))
        if f.start_position:  # the window holding the answer votes for it; others vote for [CLS]
            s[f.start_position] = e[f.end_position] = 10.0
        else:
            s[0] = e[0] = 10.0
        starts.append(s)
        ends.append(e)
    preds = predict_answers(examples, features, starts, ends, max_answer_length=40)
    hit = sum(preds[e.id] == e.answers[0].text for e in examples)
    assert hit == len(examples)
    with pytest.raises(ValueError, match="doc_stride"):
        make_features(examples, tokenizer, max_seq_length=64, doc_stride=40, max_query_length=24)


# ------------------------------------------------------------------ cloze
def test_cloze_candidates_and_determinism() -> None:
    sentence = "Yesterday the Prime Minister of Australia, John Howard, said 3.5 per cent went to Sydney."
    spans = [sentence[a:b] for a, b in cloze_candidates(sentence)]
    assert spans == ["Prime Minister of Australia", "John Howard", "3.5 per cent", "Sydney"]
    first = generate_cloze("builtin:lee", max_questions=60, seed=3)
    assert first == generate_cloze("builtin:lee", max_questions=60, seed=3)
    assert first != generate_cloze("builtin:lee", max_questions=60, seed=4)
    for e in first:
        a = e.answers[0]
        assert e.context[a.start : a.end] == a.text and BLANK in e.question and e.question.endswith("?")
        assert e.question.replace(BLANK, a.text).rstrip("?") in e.context
    data = load_qa("builtin:cloze", cloze_questions=60, seed=3)
    assert not {e.title for e in data.train} & {e.title for e in data.dev}  # documents kept apart
