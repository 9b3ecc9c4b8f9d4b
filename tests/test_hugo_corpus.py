"""The hugo-docs corpus (992 real pages nobody wrote for securedoc) through the real Hugo, before
and after sealing: sealing must not change a single published title, parameter or rendered page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, KEY_BYTES, unavailable
from oracles.hugo import build, require_hugo

from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.errors import SecuredocError
from securedoc.keys import Key, Keyring
from securedoc.models import Status
from securedoc.verify import verify_document

RING = Keyring([Key("corpus-2026", "A256GCM", KEY_BYTES)])


def _corpus() -> Path:
    if not (CORPUS / "en").is_dir():
        reason = f"the hugo-docs corpus is not at {CORPUS} (it comes with the shared folder beside the repository)"
        unavailable(reason)
    return CORPUS


@pytest.mark.slow
def test_hugo_publishes_the_same_corpus_after_sealing(tmp_path: Path) -> None:
    require_hugo()
    content = tmp_path / "content"
    shutil.copytree(_corpus(), content)  # the corpus itself is read-only
    before = {str(p.relative_to(content)): p.read_bytes() for p in sorted(content.rglob("*.md"))}
    assert len(before) > 900
    after: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    for rel, data in before.items():
        try:
            outcome = seal_document(parse(data, path=rel), RING)
        except SecuredocError as exc:
            refused[rel] = exc.message
            after[rel] = data
            continue
        assert outcome.data is not None
        after[rel] = outcome.data
        assert verify_document(parse(outcome.data, path=rel), RING).status is Status.OK
    # Nearly all of it seals (what the reader-agreement rules refuse is counted in docs/format.md).
    assert len(refused) <= len(before) // 20, sorted(refused.items())[:5]

    published = build(before)
    republished = build(after)
    assert set(published) == set(before) == set(republished)
    for rel in before:
        old, new = published[rel], republished[rel]
        sealed_params = {k: v for k, v in new.params.items() if k != "secured"}
        assert (new.title, new.kind, new.content) == (old.title, old.kind, old.content), rel
        assert sealed_params == old.params, rel
        if rel not in refused:
            assert isinstance(new.params.get("secured"), str), rel
