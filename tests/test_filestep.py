"""One per-file step: seal_file, run(seal) and the command line give the same answer on the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OTHER_BYTES, article

from securedoc import api
from securedoc.articles import seal_document
from securedoc.document import parse
from securedoc.errors import SecuredocError
from securedoc.keys import Key, Keyring
from securedoc.models import Action, Report, Status, fails

KEY = Key("test-2026", "A256GCM", bytes(range(32)), source="test")
RING = Keyring([KEY])
STRANGER = Keyring([Key("stranger", "A256GCM", OTHER_BYTES, source="test")])


def _sealed(fields: str, ring: Keyring = RING) -> bytes:
    data = seal_document(parse(article(fields)), ring).data
    assert data is not None
    return data


# name -> the file's bytes before sealing
CASES: dict[str, bytes] = {
    "unsealed": article("title: Hello\n"),
    "current": _sealed("title: Hello\n"),
    "mismatch": _sealed("title: Hello\n").replace(b"title: Hello", b"title: Changed"),
    "unopenable": _sealed("title: Hello\n", STRANGER),
    "no front matter": b"just text\n",
    "malformed seal": article('title: Hello\nsecured: "not a seal"\n'),
}


def _answer(report: Report) -> tuple[object, ...]:
    return (report.status, report.action, fails(report), report.message, report.warnings, report.hint)


def _by_seal_file(path: Path, dry_run: bool) -> tuple[object, ...]:
    try:
        return _answer(api.seal_file(path, RING, dry_run=dry_run))
    except SecuredocError as exc:  # the API raises what a batch run reports as an error
        return (Status.ERROR, Action.FAILED, True, exc.message, (), exc.hint)


def _by_run(path: Path, dry_run: bool) -> tuple[object, ...]:
    options = api.RunOptions("seal", [str(path)], RING, key=KEY, dry_run=dry_run, jobs=1)
    (report,) = list(api.run(options))
    return _answer(report)


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
@pytest.mark.parametrize("case", list(CASES))
def test_seal_file_and_run_seal_agree(tmp_path: Path, case: str, dry_run: bool) -> None:
    one, batch = tmp_path / "one" / "a.md", tmp_path / "batch" / "a.md"
    for path in (one, batch):
        path.parent.mkdir()
        path.write_bytes(CASES[case])
    by_file, by_run = _by_seal_file(one, dry_run), _by_run(batch, dry_run)
    assert by_file == by_run
    # Both wrote (or left alone) the file alike: a new seal each, or the same bytes as before.
    assert (one.read_bytes() == CASES[case]) == (batch.read_bytes() == CASES[case])


def test_sealing_over_a_mismatch_succeeds_everywhere(tmp_path: Path) -> None:
    """Replacing a seal that no longer matches is what seal is for: no way of sealing fails on it."""
    path = tmp_path / "a.md"
    path.write_bytes(CASES["mismatch"])
    report = api.seal_file(path, RING)
    assert (report.status, report.action, report.failed, fails(report)) == (
        Status.MISMATCH,
        Action.SEALED,
        False,
        False,
    )
    assert api.verify_file(path, RING).status is Status.OK


def test_refused_and_failed_files_fail_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(CASES["unopenable"])
    report = api.seal_file(path, RING)
    assert report.action is Action.REFUSED and fails(report)
    assert path.read_bytes() == CASES["unopenable"]


def test_dry_run_says_would_seal_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(CASES["unsealed"])
    report = api.seal_file(path, RING, dry_run=True)
    assert report.action is Action.WOULD_SEAL and not fails(report)
    assert path.read_bytes() == CASES["unsealed"]


def test_restore_file_goes_through_the_same_step(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(article("title: Hello\nsecret: s3cret\n"))
    assert api.seal_file(path, RING, hide=["secret"]).action is Action.SEALED
    assert b"s3cret" not in path.read_bytes()
    dry = api.restore_file(path, RING, dry_run=True)
    assert dry.action is Action.RESTORED and b"s3cret" not in path.read_bytes()
    report = api.restore_file(path, RING)
    assert report.action is Action.RESTORED and b"secret: s3cret" in path.read_bytes()
