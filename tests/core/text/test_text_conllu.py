"""The CoNLL-U reader and the gold DocBins built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from madpg_core.errors import FormatError
from madpg_core.text.conllu import read_conllu
from madpg_core.text.parser_training import sentences_to_docbin

SAMPLE = """# sent_id = s1
# text = 他喝了。
1\t他\t他\tPRON\tPRP\t_\t2\tnsubj\t_\tSpaceAfter=No
2-3\t喝了\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
2\t喝\t喝\tVERB\tVV\t_\t0\troot\t_\tSpaceAfter=No
3\t了\t了\tAUX\tAS\t_\t2\taux\t_\tSpaceAfter=No
3.1\t他\t他\tPRON\tPRP\t_\t_\t_\t2:nsubj\tSpaceAfter=No
4\t。\t。\tPUNCT\t.\t_\t2\tpunct\t_\tSpaceAfter=No

# sent_id = s2
1\tok\tok\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_reader_handles_multiword_tokens_and_empty_nodes(tmp_path: Path) -> None:
    path = tmp_path / "x.conllu"
    path.write_bytes(SAMPLE.replace("\n", "\r\n").encode("utf-8"))
    s1, s2 = list(read_conllu(path))
    assert [w.form for w in s1.words] == ["他", "喝", "了", "。"]
    assert [w.head for w in s1.words] == [2, 0, 2, 2]
    assert s1.token_forms == ["他", "喝了", "。"] and s1.text == "他喝了。"
    assert s2.text == "ok" and s2.words[0].deprel == "root"
    (doc,) = list(sentences_to_docbin([s1]).get_docs(__import__("spacy").blank("zh").vocab))
    assert [t.head.i for t in doc] == [1, 1, 1, 1] and doc[1].dep_ == "ROOT" and doc[0].tag_ == "PRP"


def test_reader_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.conllu"
    path.write_text("# text = x\n1\tx\tx\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.conllu:2"):
        list(read_conllu(path))


def test_reader_on_gsdsimp_test(shared_data: Path) -> None:
    sentences = list(read_conllu(shared_data / "ud" / "zh_gsdsimp-ud-test.conllu"))
    assert len(sentences) == 500
    assert sum(len(s.words) for s in sentences) == 12012
    assert sentences[0].text == "然而，这样的处理也衍生了一些问题。"
