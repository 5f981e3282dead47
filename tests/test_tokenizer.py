"""The WordPiece tokenizer against transformers' BertTokenizerFast: same ids, offsets, word ids."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from bert_core.assets import minilm_dir
from bert_core.tokenizer import SPECIAL_TOKENS, Tokenizer

transformers = pytest.importorskip("transformers")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world!",
    "",
    "   ",
    "BERT uses WordPiece: unbelievably, it works.",
    "Café déjà vu — a naïve façade in São Paulo.",
    "Ångström, Øresund, Łódź and Straße.",
    "e\u0301te\u0301 (decomposed accents) vs été",
    "Hello!!! What?! ... (yes) [no] {maybe} <tag>",
    "@user #hashtag $100 50% a&b c/d e\\f g|h ~tilde `tick` ^caret",
    "3.14159 1,000,000 2023-01-01 12:30pm 1e-5 -42 +7",
    "I ❤️ NLP 🤖🚀 and 👩‍👩‍👧 families 🇫🇷",
    "日本語のテキストです。",
    "中文分词测试，好吗？",
    "한국어 문장입니다",
    "ภาษาไทยไม่มีช่องว่าง",
    "Ελληνικά και Русский текст",
    "مرحبا بالعالم and שלום עולם",
    "नमस्ते दुनिया",
    "Unknown symbols: ☃ ⚙ ⌘ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001f9ec",
    "control\x00chars\x07 here\x1b and\ufffdreplacement",
    "tab\tnew\nline\r\nreturn",
    "  leading and trailing spaces  ",
    "multiple     spaces    between",
    "\u00a0nbsp\u2003emspace\u200bzero\u200dwidth\ufeffbom",
    "a" * 150,
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 99 + " " + "y" * 100 + " " + "z" * 101,
    "antidisestablishmentarianism" * 3,
    "The [MASK] sat on the mat.",
    "lowercase [mask] is not special, [UNK] and [SEP] [CLS] [PAD] are",
    "def f(x): return x**2 if x > 0 else -x  # code",
    "https://example.com/path?q=1&r=2#frag and john.doe@example.com",
    "iPhone McDonald's O'Neill NASA's U.S.A. e.g. i.e.",
    "don’t ‘single’ “double” «guillemets» „low“",
    "state-of-the-art well—known e–mail ‒ ― dashes",
    "ﬁ ligature, ＡＢＣ１２３ fullwidth, ① circled, ² superscript",
    "Mr. Smith went to Washington. Dr. Jones stayed!",
    'He said, "I\'ll be there at 5 p.m." — then left.',
    "COVID-19 vaccines: Pfizer/BioNTech (BNT162b2) & Moderna (mRNA-1273).",
    "αβγ ∑∫∂ ≤≥≠ ∞ √2 π≈3.14",
    "😀😃😄😁😆😅😂🤣",
    "tokenization tokenizer tokenized tokens token",
    "The year 1999 and 2024; temperatures of -3.5°C to 40°F.",
    "Œuvre, Ærø, Þór, ðe, ı dotless, İstanbul",
    "A sentence with a very long number 123456789012345678901234567890.",
    "UPPERCASE SHOUTING TEXT HERE",
    "Mixed 中文 and English 混合 text",
    "Zero\u200bwidth\u200cjoiners\u2060here",
    "Trailing punctuation...",
    "¿Qué tal? ¡Muy bien!",
    "Tab\t\tseparated\tvalues",
    "\u3000ideographic\u3000space",
]
PAIRS = [(a, SENTENCES[(i * 7 + 3) % len(SENTENCES)]) for i, a in enumerate(SENTENCES) if i % 2 == 0]


@pytest.fixture(scope="module")
def ours() -> Tokenizer:
    return Tokenizer.from_pretrained(minilm_dir())


@pytest.fixture(scope="module")
def reference():
    return transformers.BertTokenizerFast.from_pretrained(str(minilm_dir()))


def _ref(ref, text: str, pair: str | None = None, **kw) -> dict:
    # transformers' single-text call drops an empty pair ("" is falsy) while its batch call and
    # the tokenizers backend keep it as "[SEP] [SEP]"; we keep it too, so compare with the batch call.
    enc = ref(
        [text], None if pair is None else [pair], return_offsets_mapping=True, return_special_tokens_mask=True, **kw
    )
    out = {k: list(v[0]) for k, v in enc.items()}
    out["offset_mapping"] = [tuple(o) for o in out["offset_mapping"]]
    out["word_ids"] = enc.word_ids(0)
    return out


def _assert_same(mine, ref: dict) -> None:
    assert mine.input_ids == ref["input_ids"]
    assert mine.token_type_ids == ref["token_type_ids"]
    assert mine.attention_mask == ref["attention_mask"]
    assert mine.offsets == ref["offset_mapping"]
    assert mine.word_ids == ref["word_ids"]
    assert mine.special_tokens_mask == ref["special_tokens_mask"]


def test_enough_varied_cases() -> None:
    assert len(SENTENCES) >= 50 and len(PAIRS) >= 25


def test_parity_single_sentences(ours: Tokenizer, reference) -> None:
    for text in SENTENCES:
        mine = ours.encode(text)
        _assert_same(mine, _ref(reference, text))
        assert mine.tokens == reference.convert_ids_to_tokens(mine.input_ids)


def test_parity_pairs(ours: Tokenizer, reference) -> None:
    for a, b in PAIRS:
        _assert_same(ours.encode(a, b), _ref(reference, a, b))


def test_parity_truncation_longest_first(ours: Tokenizer, reference) -> None:
    long_a, long_b = SENTENCES[0] * 4, SENTENCES[26]
    for max_length in (3, 5, 8, 16, 33, 64):
        for a, b in [(long_a, None), (long_a, long_b), (long_b, long_a), (SENTENCES[1], long_a)]:
            if b is None and max_length < 2:
                continue
            ref = _ref(reference, a, b, truncation=True, max_length=max_length)
            mine = ours.encode(a, b, max_length=max_length)
            _assert_same(mine, ref)
            assert len(mine) <= max_length


def test_parity_batch_padding(ours: Tokenizer, reference) -> None:
    texts = SENTENCES[:12]
    pairs = SENTENCES[12:24]
    ref = reference(texts, pairs, padding=True, truncation=True, max_length=24, return_offsets_mapping=True)
    mine = ours.encode_batch(texts, pairs, max_length=24, padding=True)
    assert {len(e) for e in mine} == {len(ref["input_ids"][0])}
    for i, e in enumerate(mine):
        assert e.input_ids == ref["input_ids"][i]
        assert e.token_type_ids == ref["token_type_ids"][i]
        assert e.attention_mask == ref["attention_mask"][i]
        assert e.offsets == [tuple(o) for o in ref["offset_mapping"][i]]
        assert e.word_ids == ref.word_ids(i)


def test_parity_decode(ours: Tokenizer, reference) -> None:
    for text in SENTENCES[:30]:
        ids = ours.encode(text).input_ids
        assert ours.decode(ids) == reference.decode(ids, skip_special_tokens=True)
        assert ours.decode(ids, skip_special_tokens=False) == reference.decode(ids)


def test_vocab_txt_only_matches(ours: Tokenizer, reference, tmp_path: Path) -> None:
    src = minilm_dir()
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(src / name, tmp_path / name)
    from_vocab = Tokenizer.from_pretrained(tmp_path)
    assert from_vocab.get_vocab() == ours.get_vocab()
    for a, b in PAIRS:
        _assert_same(from_vocab.encode(a, b), _ref(reference, a, b))


def test_cased_vocab_matches_reference(tmp_path: Path) -> None:
    cased = Tokenizer.from_vocab(minilm_dir() / "vocab.txt", lowercase=False)
    ref = transformers.BertTokenizerFast(vocab=str(minilm_dir() / "vocab.txt"), do_lower_case=False)
    assert not cased.lowercase
    for text in SENTENCES:
        _assert_same(cased.encode(text), _ref(ref, text))


def test_special_ids_and_properties(ours: Tokenizer) -> None:
    assert (ours.pad_token_id, ours.unk_token_id, ours.cls_token_id, ours.sep_token_id, ours.mask_token_id) == (
        0,
        100,
        101,
        102,
        103,
    )
    assert ours.special_ids == frozenset({0, 100, 101, 102, 103})
    assert len(ours) == ours.vocab_size == 30522
    assert ours.lowercase and ours.model_max_length == 512
    assert ours.convert_tokens_to_ids(["hello", "no-such-token"]) == [7592, 100]
    assert ours.convert_ids_to_tokens([101, 7592, 10**6]) == ["[CLS]", "hello", "[UNK]"]
    assert ours.encode("the [MASK] sat").tokens == ["[CLS]", "the", "[MASK]", "sat", "[SEP]"]


def test_tokenize_ids_has_no_specials(ours: Tokenizer) -> None:
    texts = ["Hello world", "", "unbelievably"]
    assert ours.tokenize_ids(texts) == [ours.encode(t).input_ids[1:-1] for t in texts]


def test_tokenize_with_words_marks_word_starts(ours: Tokenizer) -> None:
    [(ids, starts)] = ours.tokenize_with_words(["unbelievably playing don't"])
    tokens = ours.convert_ids_to_tokens(ids)
    assert tokens[:5] == ["un", "##bel", "##ie", "##va", "##bly"]
    assert starts == [not t.startswith("##") for t in tokens]
    assert ours.tokenize_with_words([""]) == [([], [])]


def test_encode_errors(ours: Tokenizer) -> None:
    with pytest.raises(ValueError, match="at least 3"):
        ours.encode("a", "b", max_length=2)
    with pytest.raises(ValueError, match="2 texts but 1 pairs"):
        ours.encode_batch(["a", "b"], ["c"])
    assert len(ours.encode("a " * 50, max_length=10, truncation=False)) == 52


def test_shared_across_threads(ours: Tokenizer) -> None:
    """Truncating calls on one thread must not leak their limit into another thread's calls."""
    errors: list[str] = []

    def work(max_length: int | None) -> None:
        for _ in range(50):
            n = len(ours.encode(SENTENCES[0] * 3, max_length=max_length))
            if (max_length is None and n != 32) or (max_length is not None and n != max_length):
                errors.append(f"max_length={max_length} gave {n}")

    threads = [threading.Thread(target=work, args=(m,)) for m in (None, 8, 16, None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_missing_files_and_specials(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no tokenizer.json or vocab.txt"):
        Tokenizer.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError):
        Tokenizer.from_pretrained(tmp_path / "nope.json")
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        Tokenizer.from_vocab({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4})


# ---------------------------------------------------------------- training
CORPUS = [
    f"The {adj} {noun} {verb} the {adj2} {noun2} near the river bank."
    for adj in ("quick", "lazy", "happy", "tired", "curious")
    for noun in ("fox", "dog", "cat", "bird", "horse")
    for verb in ("jumps over", "watches", "follows", "chases")
    for adj2, noun2 in (("old", "farmer"), ("young", "tree"))
]


@pytest.fixture(scope="module")
def trained() -> Tokenizer:
    return Tokenizer.train(CORPUS, vocab_size=120)


def test_train_vocab_size_and_specials(trained: Tokenizer) -> None:
    assert len(trained) <= 120
    assert trained.convert_ids_to_tokens(range(5)) == list(SPECIAL_TOKENS)
    assert (
        trained.pad_token_id,
        trained.unk_token_id,
        trained.cls_token_id,
        trained.sep_token_id,
        trained.mask_token_id,
    ) == (0, 1, 2, 3, 4)
    assert trained.lowercase
    enc = trained.encode("The curious horse chases the young tree.")
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]" and "[UNK]" not in enc.tokens


def test_train_small_vocab_never_exceeds_request() -> None:
    for size in (16, 40):
        assert len(Tokenizer.train(CORPUS, vocab_size=size)) <= size
    with pytest.raises(ValueError, match="got 5"):
        Tokenizer.train(CORPUS, vocab_size=5)


def test_train_reads_files_line_by_line(tmp_path: Path) -> None:
    from bert_core.tokenizer.training import _texts_from

    path = tmp_path / "corpus.txt"
    path.write_text("\ufeff" + "\n".join(CORPUS[:3]), encoding="utf-8")
    expected = [line + "\n" for line in CORPUS[:2]] + [CORPUS[2], "just a text"]
    assert list(_texts_from([str(path), "just a text"])) == expected
    assert list(_texts_from([path, "just a text"])) == expected
    with pytest.raises(FileNotFoundError):
        list(_texts_from([tmp_path / "missing.txt"]))
    trained = Tokenizer.train([path], vocab_size=60, min_frequency=1)
    assert "[UNK]" not in trained.encode(CORPUS[0]).tokens


def test_train_ids_do_not_depend_on_hash_order() -> None:
    """The same corpus trains the same vocabulary with the same ids (tokenizers#1794 numbers them randomly)."""
    from bert_core.data import CorpusError, load_builtin

    try:
        texts = load_builtin("lee").texts()
    except CorpusError as err:
        pytest.skip(str(err))
    first, second = (Tokenizer.train(texts, vocab_size=1000).get_vocab() for _ in range(2))
    assert first == second


def test_save_round_trip_and_transformers_loads(trained: Tokenizer, tmp_path: Path) -> None:
    trained.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {
        "vocab.txt",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    }
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["do_lower_case"] is True and config["tokenizer_class"] == "BertTokenizer"
    vocab_lines = (tmp_path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab_lines[:5] == list(SPECIAL_TOKENS) and len(vocab_lines) == len(trained)

    again = Tokenizer.from_pretrained(tmp_path)
    from_vocab_txt = Tokenizer.from_pretrained(tmp_path / "vocab.txt")
    ref = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    assert again.get_vocab() == from_vocab_txt.get_vocab() == trained.get_vocab() == ref.get_vocab()
    texts = CORPUS[:5] + SENTENCES[:20]
    for a, b in zip(texts, texts[1:] + [None]):
        mine = trained.encode(a, b)
        assert again.encode(a, b) == mine == from_vocab_txt.encode(a, b)
        _assert_same(mine, _ref(ref, a, b))


def test_cased_training_round_trip(tmp_path: Path) -> None:
    cased = Tokenizer.train(CORPUS, vocab_size=120, lowercase=False)
    assert not cased.lowercase and "The" in cased.get_vocab()
    cased.save_pretrained(tmp_path)
    assert not Tokenizer.from_pretrained(tmp_path).lowercase
    ref = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    for text in CORPUS[:5] + ["Café THE the"]:
        _assert_same(cased.encode(text), _ref(ref, text))
