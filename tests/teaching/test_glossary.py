"""The Vietnamese text keeps to the glossary (docs/glossary.md): one term per concept, the
course chapter's where it has one. The table's last column is the list of banned variants."""

from __future__ import annotations

import re

import pytest

from tests.teaching.vi_text import ROOT, strings_modules, texts

GLOSSARY = ROOT / "docs" / "glossary.md"
#: Code inside prose (names with _ or ., calls, {params}) is not Vietnamese and is not checked.
CODE = re.compile(r"`[^`]*`|\{\w+\}|\b\w+[._]\w+(?:[._]\w+)*(?:\(\))?|\b\w+\([^)]*\)")


def banned() -> list[tuple[str, re.Pattern[str]]]:
    """(concept, pattern) for every banned variant in the glossary table."""
    out = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("concept", "---") or set(cells[0]) <= {"-"}:
            continue
        for variant in re.findall(r"`([^`]+)`", cells[3]):
            out.append((cells[0], re.compile(rf"(?<!\w){variant}(?!\w)", re.IGNORECASE)))
    return out


def prose(text: str) -> str:
    return CODE.sub(" ", text)


def test_the_glossary_is_a_table_with_banned_variants() -> None:
    rules = banned()
    assert len(rules) >= 30
    concepts = {c for c, _ in rules}
    for concept in ("chain rule", "local minimum", "momentum", "node (of a graph)", "forward pass"):
        assert concept in concepts


def test_the_ban_catches_what_it_should() -> None:
    """The checker itself: variants the issue named are caught, code is not."""
    def hits(text: str) -> list[str]:
        return [c for c, pattern in banned() if pattern.search(prose(text))]

    assert hits("quy tắc dây chuyền") == ["chain rule"]
    assert hits("Cực tiểu địa phương gần w") == ["local minimum"]
    assert hits("thêm quán tính 0.9") == ["momentum"]
    assert hits("mỗi nút được tính") == ["node (of a graph)"]
    assert sorted(set(hits("lượt truyền xuôi"))) == ["forward pass"]
    assert hits("Cách ngây thơ") == ["the naive approach (nudge one weight)"]
    assert hits("bấm nút Bước") == []
    assert hits("learning_rate = 0.1 và past_velocity") == []
    assert hits("gọi optimizer.zero_grad()") == []


VI = texts("vi")


@pytest.mark.parametrize(("where", "text"), VI, ids=[w for w, _ in VI])
def test_vietnamese_text_uses_the_glossary_terms(where: str, text: str) -> None:
    found = [f"{concept}: {pattern.pattern}" for concept, pattern in banned()
             if pattern.search(prose(text))]
    assert not found, f"{where}: {text!r} uses banned variants {found}"


def test_every_ui_string_has_a_vietnamese_text() -> None:
    table = strings_modules()
    missing = sorted(set(table["en"]) - set(table["vi"]))
    assert not missing, f"English only: {missing}"


def test_every_example_and_dataset_has_vietnamese_words(client) -> None:  # type: ignore[no-untyped-def]
    """The examples menu and the dataset line are read in the page's language: the API carries
    each registry entry's Vietnamese words (i18n), which the page shows in vi."""
    examples = client.get("/api/examples").json()
    datasets = client.get("/api/meta").json()["datasets"]
    missing = [ex["id"] for ex in examples if set(ex["i18n"].get("vi", {})) != {"title", "description"}]
    missing += [d["name"] for d in datasets if "description" not in d["i18n"].get("vi", {})]
    assert not missing, f"no Vietnamese for {missing}"
