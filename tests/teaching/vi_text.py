"""Every Vietnamese string a student can read, gathered from where it lives: the front end's
strings modules (through node, as the browser registers them), lessons, exercise texts,
diagnostics and mistakes messages, the examples' and datasets' registries."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from chainrule.teaching.course import LESSON_DIR

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "chainrule" / "teaching"

_DUMP = """
const { STRINGS } = await import(process.argv[1]);
process.stdout.write(JSON.stringify(STRINGS));
"""


@cache
def strings_modules() -> dict[str, dict[str, str]]:
    """The UI strings as i18n.js registers them: ``{lang: {key: text}}``."""
    node = shutil.which("node")
    assert node, "node is needed to read the front end's strings modules"
    out = subprocess.run([node, "--input-type=module", "-e", _DUMP, str(ROOT / "static/js/i18n.js")],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    table: dict[str, dict[str, str]] = json.loads(out.stdout)
    return table


def _lesson_texts(lang: str) -> Iterator[tuple[str, str]]:
    for path in sorted(LESSON_DIR.glob(f"*.{lang}.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        yield f"{path.name}:title", data["title"]
        yield f"{path.name}:summary", data["summary"]
        yield f"{path.name}:try", data["try"]
        for i, step in enumerate(data["steps"], start=1):
            for k, paragraph in enumerate(step["text"], start=1):
                yield f"{path.name}:step {i} ¶{k}", paragraph


def _messages(lang: str) -> Iterator[tuple[str, str]]:
    for path in sorted((TEACHING / "messages").glob("*.json")):
        for key, entry in json.loads(path.read_text(encoding="utf-8")).items():
            words = entry[lang]
            if isinstance(words, str):
                yield f"{path.name}:{key}", words
            else:
                for field, text in words.items():
                    yield f"{path.name}:{key}.{field}", text


def texts(lang: str = "vi") -> list[tuple[str, str]]:
    """(where, text) for every string of ``lang``."""
    out = [(f"strings:{k}", v) for k, v in strings_modules()[lang].items()]
    out += list(_lesson_texts(lang))
    exercise = json.loads((TEACHING / "text" / f"{lang}.json").read_text(encoding="utf-8"))
    out += [(f"text/{lang}.json:{k}", v) for k, v in exercise.items()]
    out += list(_messages(lang))
    out += list(_registries(lang))
    return out


def _registries(lang: str) -> Iterator[tuple[str, str]]:
    """The examples' and datasets' words in ``lang`` (their registries' ``i18n``)."""
    from chainrule.examples import EXAMPLES
    from chainrule.training.datasets import DATASETS

    for example in EXAMPLES:
        for field, text in example.get("i18n", {}).get(lang, {}).items():
            yield f"examples:{example['id']}.{field}", text
    for spec in DATASETS.values():
        for field, text in spec.i18n.get(lang, {}).items():
            yield f"datasets:{spec.name}.{field}", text
