"""Trust and policy (issue 8, points 1-5 and rotate's demo rule): the attacks of a pull-request
author, replayed through the installed `securedoc` command as CI runs it (CI=true, the real key in
SECUREDOC_KEY), must fail; honest runs must pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT

from securedoc import crypto, envelope
from securedoc.keys import Key, key_to_jwk
from securedoc.verify import LEGACY_UNCHECKABLE

REAL = Key("newsroom-2026", "A256GCM", bytes(range(32)))
OTHER = Key("newsroom-2027", "A256GCM", bytes(range(40, 72)))
LEGACY = Key("old-site", "A128CBC", bytes(range(100, 116)))
DEMO_JWK = (ROOT / "keys" / "demo.jwk").read_text()


def jwks(*keys: Key) -> str:
    return json.dumps({"keys": [key_to_jwk(k) for k in keys]})


def _exe() -> str:
    path = Path(sys.executable).parent / "securedoc"
    return str(path) if path.exists() else "securedoc"


def run(
    cwd: Path, *args: str, ci: bool = True, key: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command, with CI and SECUREDOC_KEY set (or cleared) explicitly."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "SECUREDOC_KEY", "GITHUB_ACTIONS")}
    if ci:
        env["CI"] = "true"
    if key is not None:
        env["SECUREDOC_KEY"] = key
    return subprocess.run([_exe(), *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin, timeout=60)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def write_key(folder: Path, key: Key) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key.kid}.jwk"
    path.write_text(json.dumps(key_to_jwk(key)))
    path.chmod(0o600)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A newsroom repository as CI checks it out: the demo key and a configuration committed,
    two articles sealed with the real key (which is not in the repository), on branch `base`."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "keys").mkdir()
    shutil.copy(ROOT / "keys" / "demo.jwk", root / "keys" / "demo.jwk")
    (root / "securedoc.yaml").write_text("keys:\n  primary: newsroom-2026\n")
    (root / "content" / "a.md").write_text("---\ntitle: Correction\nheat: 1\n---\nThe corrected story.\n")
    (root / "content" / "b.md").write_text("---\ntitle: Two\n---\nBody.\n")
    done = run(root, "seal", "content", ci=False, key=jwks(REAL))
    assert done.returncode == 0, done.stdout + done.stderr
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "branch", "base")
    return root


# -- 1. trust comes from outside the change --------------------------------------------------------


def test_a_key_file_added_by_the_change_is_not_used(repo: Path) -> None:
    evil = Key("evil", "A256GCM", bytes(32))
    write_key(repo / "keys", evil)
    article = repo / "content" / "a.md"
    article.write_text(article.read_text().replace("heat: 1", "heat: 9"))
    forged = run(repo, "seal", "content/a.md", "--force", "--primary", "evil", ci=False)
    assert forged.returncode == 0, forged.stderr
    # Locally with only the keys folder, the forged seal verifies: that is the author's own keyring.
    assert run(repo, "verify", "content/a.md", ci=False).returncode == 0
    for ci in (True, False):  # CI, or a key given from the environment
        done = run(repo, "verify", "content", ci=ci, key=jwks(REAL))
        assert done.returncode == 1, done.stdout
        assert "content/a.md" in done.stdout and "'evil'" in done.stdout
    # --key and --key-env leave the checkout's keys out too.
    (repo.parent / "real.jwk").write_text(json.dumps(key_to_jwk(REAL)))
    assert run(repo, "verify", "content", "--key", str(repo.parent / "real.jwk"), ci=False).returncode == 1
    command = f"cat {repo.parent / 'real.jwk'}"
    assert run(repo, "verify", "content", "--key-command", command, ci=False).returncode == 1


def test_an_empty_secret_counts_as_unset(repo: Path) -> None:
    write_key(repo / "keys", REAL)
    assert run(repo, "verify", "content", ci=False, key="").returncode == 0
    assert run(repo, "verify", "content", ci=False, key="  \n").returncode == 0


@pytest.mark.parametrize(
    ("setting", "option"),
    [
        ('exclude: ["**"]\n', "--exclude '**'"),
        ("unsealed: ignore\n", "--unsealed ignore"),
        ("unsealed: warn\n", "--unsealed warn"),
        ("fields:\n  exclude: [heat]\n", "--exclude-field heat"),
        ("fields:\n  include: [title]\n", "--include-field title"),
        ("legacy: accept\n", "--legacy accept"),
        ("unbound: ignore\n", "--unbound ignore"),
        ("keys:\n  env: OTHER_VARIABLE\n", "--key-env OTHER_VARIABLE"),
    ],
)
def test_a_loosening_setting_in_the_checkout_is_refused(repo: Path, setting: str, option: str) -> None:
    (repo / "content" / "new.md").write_text("---\ntitle: unsealed\n---\n")
    (repo / "securedoc.yaml").write_text(setting)
    for ci in (True, False) if "env" not in setting else (True,):
        done = run(repo, "verify", "content", ci=ci, key=jwks(REAL))
        assert done.returncode == 2, (setting, done.stdout, done.stderr)
        assert option in done.stderr and "--trust REV" in done.stderr and "Traceback" not in done.stderr


def test_pyproject_settings_are_the_checkout_too(repo: Path) -> None:
    (repo / "securedoc.yaml").unlink()
    (repo / "content" / "new.md").write_text("---\ntitle: unsealed\n---\n")
    (repo / "pyproject.toml").write_text('[tool.securedoc]\nunsealed = "ignore"\n')
    done = run(repo, "verify", "content", key=jwks(REAL))
    assert done.returncode == 2 and "pyproject.toml" in done.stderr and "--unsealed ignore" in done.stderr


def test_the_same_settings_on_the_command_line_are_honoured(repo: Path) -> None:
    (repo / "content" / "new.md").write_text("---\ntitle: unsealed\n---\n")
    (repo / "securedoc.yaml").write_text("unsealed: ignore\n")
    assert run(repo, "verify", "content", "--unsealed", "ignore", key=jwks(REAL)).returncode == 0
    (repo / "securedoc.yaml").write_text('exclude: ["new.md"]\n')
    assert run(repo, "verify", "content", "--exclude", "new.md", key=jwks(REAL)).returncode == 0
    # A local run with the author's own keys folder honours the checkout's settings.
    write_key(repo / "keys", REAL)
    assert run(repo, "verify", "content/a.md", ci=False).returncode == 0


def test_tightening_settings_are_always_honoured(repo: Path) -> None:
    keys = jwks(REAL, OTHER)
    (repo / "securedoc.yaml").write_text("keys:\n  retired: [newsroom-2026]\nretired: error\n")
    done = run(repo, "verify", "content", key=keys)
    assert done.returncode == 1 and "retired" in done.stdout


def test_trust_reads_settings_and_keys_from_the_base_revision(repo: Path) -> None:
    # The base's configuration leaves drafts out; the change cannot widen that.
    (repo / "securedoc.yaml").write_text('keys:\n  primary: newsroom-2026\nexclude: ["drafts"]\n')
    (repo / "content" / "drafts").mkdir()
    (repo / "content" / "drafts" / "wip.md").write_text("---\ntitle: wip\n---\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "drafts are not checked")
    git(repo, "branch", "-f", "base")
    # The change: a key of its own, an edit sealed with it, a configuration that excludes everything.
    write_key(repo / "keys", Key("evil", "A256GCM", bytes(32)))
    article = repo / "content" / "a.md"
    article.write_text(article.read_text().replace("heat: 1", "heat: 9"))
    assert run(repo, "seal", "content/a.md", "--force", "--primary", "evil", ci=False).returncode == 0
    (repo / "securedoc.yaml").write_text('exclude: ["**"]\nunsealed: ignore\n')
    text = run(repo, "verify", "content", "--trust", "base", key=jwks(REAL))
    assert text.returncode == 1, text.stdout + text.stderr
    assert "securedoc.yaml: trust: differs from the trusted revision base" in text.stdout
    assert "keys/evil.jwk: trust: key file not in the trusted revision base" in text.stdout
    assert "content/a.md" in text.stdout and "drafts" not in text.stdout
    lines = [
        json.loads(line)
        for line in run(
            repo, "verify", "content", "--trust", "base", "--format", "json", key=jwks(REAL)
        ).stdout.splitlines()
    ]
    trust = {obj["path"]: obj["message"] for obj in lines if obj["status"] == "trust"}
    assert set(trust) == {"securedoc.yaml", "keys/evil.jwk"}
    assert {obj["path"]: obj["status"] for obj in lines if obj["status"] != "trust"} == {
        "content/a.md": "error",
        "content/b.md": "ok",
    }
    github = run(repo, "verify", "content", "--trust", "base", "--format", "github", key=jwks(REAL))
    assert "::warning file=securedoc.yaml," in github.stdout and "::warning file=keys/evil.jwk," in github.stdout
    assert github.returncode == 1
    junit = run(repo, "verify", "content", "--trust", "base", "--format", "junit", key=jwks(REAL))
    suite = ET.fromstring(junit.stdout)
    names = {case.get("name"): case.get("classname") for case in suite.iter("testcase")}
    assert names["securedoc.yaml"] == "securedoc.trust" and names["keys/evil.jwk"] == "securedoc.trust"
    # An honest change (the edit re-sealed with the real key) passes; differences are only reported.
    git(repo, "checkout", "securedoc.yaml")
    assert run(repo, "seal", "content/a.md", "--force", ci=False, key=jwks(REAL)).returncode == 0
    honest = run(repo, "verify", "content", "--trust", "base", key=jwks(REAL))
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert "keys/evil.jwk: trust:" in honest.stdout
    # From a subfolder, the configuration is still the base's, found upwards inside the revision.
    sub = run(repo / "content", "verify", ".", "--trust", "base", key=jwks(REAL))
    assert sub.returncode == 0 and "drafts" not in sub.stdout, sub.stdout + sub.stderr


def test_trust_needs_a_real_revision_and_uses_the_base_keys_folder(repo: Path) -> None:
    bad = run(repo, "verify", "content", "--trust", "no-such-branch", key=jwks(REAL))
    assert bad.returncode == 2 and "--trust no-such-branch" in bad.stderr and "Traceback" not in bad.stderr
    # The base's keys folder holds only the demo key: without the secret there is no real key.
    no_secret = run(repo, "verify", "content", "--trust", "base")
    assert no_secret.returncode == 1 and "newsroom-2026" in no_secret.stdout
    # A trusted revision may loosen the check: its settings were reviewed.
    (repo / "content" / "new.md").write_text("---\ntitle: unsealed\n---\n")
    (repo / "securedoc.yaml").write_text("unsealed: warn\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "unsealed articles only warn")
    assert run(repo, "verify", "content", "--trust", "HEAD", key=jwks(REAL)).returncode == 0
    # ... and the working tree may tighten it further.
    (repo / "securedoc.yaml").write_text("unsealed: error\n")
    assert run(repo, "verify", "content", "--trust", "HEAD", key=jwks(REAL)).returncode == 1


# -- 2. the demo key never passes in CI ------------------------------------------------------------


def test_demo_key_seal_is_an_error_in_ci_and_a_warning_elsewhere(repo: Path) -> None:
    article = repo / "content" / "a.md"
    article.write_text(article.read_text().replace("heat: 1", "heat: 9"))
    keys = DEMO_JWK
    assert run(repo, "seal", "content/a.md", "--force", "--primary", "demo", ci=False).returncode == 0
    both = json.dumps({"keys": [json.loads(DEMO_JWK), key_to_jwk(REAL)]})
    ci = run(repo, "verify", "content", key=both)
    assert ci.returncode == 1 and "public demo key 'demo'" in ci.stdout and "proves nothing" in ci.stdout
    local = run(repo, "verify", "content", ci=False, key=both)
    assert local.returncode == 0 and "public demo key" in local.stdout
    # Through --trust, the base's keys folder brings the demo key in: still an error in CI.
    trusted = run(repo, "verify", "content", "--trust", "base", key=jwks(REAL))
    assert trusted.returncode == 1 and "proves nothing" in trusted.stdout
    # A copy of the demo key with its mark removed and another id is still the demo key.
    stripped = json.loads(keys)
    del stripped["x-securedoc-demo"]
    stripped["kid"] = "innocent"
    (repo / "keys" / "demo.jwk").unlink()
    (repo / "keys" / "innocent.jwk").write_text(json.dumps(stripped))
    assert run(repo, "seal", "content/a.md", "--force", "--primary", "innocent", ci=False).returncode == 0
    disguised = run(repo, "verify", "content", key=json.dumps({"keys": [stripped, key_to_jwk(REAL)]}))
    assert disguised.returncode == 1 and "public demo key 'innocent'" in disguised.stdout


# -- 3. legacy seals cannot vouch for more than they bind ------------------------------------------


def legacy_seal(plaintext: bytes, iv: bytes = bytes(16), key: Key = LEGACY) -> str:
    return envelope.format_seal(envelope.LegacySeal(crypto.cbc_encrypt(key.secret_bytes(), iv, plaintext), iv))


def forged_empty_seal(genuine_plaintext: bytes, iv: bytes) -> str:
    """The CBC bit-flip of the issue: from a legacy seal whose first block is known, a one-block
    seal that decrypts to `{}` (binds nothing), made without the key."""
    ciphertext = crypto.cbc_encrypt(LEGACY.secret_bytes(), iv, genuine_plaintext)  # what the archive holds
    known = genuine_plaintext[:16]
    wanted = b"{}" + bytes([14]) * 14
    forged_iv = bytes(a ^ b ^ c for a, b, c in zip(iv, known, wanted, strict=True))
    return envelope.format_seal(envelope.LegacySeal(ciphertext[:16], forged_iv))


def test_a_forged_legacy_seal_binding_nothing_fails_and_is_not_rotated(repo: Path) -> None:
    genuine = b'{"heat":1,"title":"Correction"}'
    forged = forged_empty_seal(genuine, bytes(range(16)))
    target = repo / "content" / "b.md"
    target.write_text(f'---\ntitle: Anything at all\nurl: /evil\nsecured: "{forged}"\n---\nBody.\n')
    keys = jwks(REAL, LEGACY)
    # Under CI, legacy seals are refused unless the command line accepts them.
    refused = run(repo, "verify", "content", key=keys)
    assert refused.returncode == 1 and "legacy AES-CBC form, which is refused here" in refused.stdout
    accepted = run(repo, "verify", "content", "--legacy", "accept", "--format", "json", key=keys)
    assert accepted.returncode == 1
    report = next(json.loads(line) for line in accepted.stdout.splitlines() if "b.md" in line)
    assert report["status"] == "mismatch"
    assert [(f["name"], f["line"], f["change"]) for f in report["fields"]] == [
        ("title", 2, "unbound"),
        ("url", 3, "unbound"),
    ]
    local = run(repo, "verify", "content/b.md", ci=False, key=keys)
    assert local.returncode == 1 and "not bound by the seal: title, url" in local.stdout
    before = target.read_bytes()
    rotated = run(repo, "rotate", "content/b.md", "--to", "newsroom-2026", ci=False, key=keys)
    assert rotated.returncode == 1 and "refused" in rotated.stdout and target.read_bytes() == before
    # Under CI, accepting legacy seals cannot come from the checkout.
    (repo / "securedoc.yaml").write_text("legacy: accept\n")
    assert run(repo, "verify", "content", key=keys).returncode == 2


def test_an_honest_legacy_seal_still_verifies_and_rotates(repo: Path) -> None:
    target = repo / "content" / "b.md"
    seal = legacy_seal(b'{"title":"Two"}')
    target.write_text(f'---\ntitle: Two\nsecured: "{seal}"\n---\nBody.\n')
    keys = jwks(REAL, LEGACY)
    assert run(repo, "verify", "content", "--legacy", "warn", key=keys).returncode == 0
    local = run(repo, "verify", "content", ci=False, key=keys)
    assert local.returncode == 0 and "unauthenticated" in local.stdout
    assert run(repo, "verify", "content", "--legacy", "refuse", ci=False, key=keys).returncode == 1
    rotated = run(repo, "rotate", "content/b.md", "--to", "newsroom-2026", ci=False, key=keys)
    assert rotated.returncode == 0 and "1 rotated" in rotated.stderr
    assert run(repo, "verify", "content", key=keys).returncode == 0


def test_one_answer_for_every_legacy_failure_in_every_command(repo: Path) -> None:
    """Bad padding, a wrong key and a payload that is not JSON: the same message, status and exit
    code from verify, seal, seal --dry-run, rotate and open (no padding oracle)."""
    good = legacy_seal(b'{"title":"Two"}')
    ct_b64, iv_b64 = good.split(";")
    damaged = ("B" if ct_b64[0] == "A" else "A") + ct_b64[1:] + ";" + iv_b64  # first block: bad padding
    variants = {
        "not-json": legacy_seal(b"not json at all"),
        "damaged": damaged,
        "wrong-key": legacy_seal(b'{"title":"Two"}', key=Key("x", "A128CBC", bytes(16))),
    }
    keys = jwks(REAL, LEGACY)
    answers: dict[str, set[tuple[int, str]]] = {}
    for name, value in variants.items():
        path = repo / "content" / "b.md"
        path.write_text(f'---\ntitle: Two\nsecured: "{value}"\n---\nBody.\n')
        for command in (
            ["verify", "content/b.md", "--legacy", "warn"],
            ["seal", "content/b.md"],
            ["seal", "content/b.md", "--dry-run"],
            ["rotate", "content/b.md", "--to", "newsroom-2026", "--legacy", "warn"],
            ["open", "content/b.md"],
        ):
            done = run(repo, *command, "--format", "json", ci=False, key=keys)
            if command[0] == "open":
                answer = (done.returncode, done.stderr.replace(str(repo) + "/", ""))
            else:
                obj = json.loads(done.stdout)
                answer = (done.returncode, json.dumps([obj["status"], obj.get("action"), obj["message"]]))
            assert LEGACY_UNCHECKABLE in answer[1], (name, command, answer)
            answers.setdefault(" ".join(command), set()).add(answer)
    for command, seen in answers.items():
        assert len(seen) == 1, (command, seen)
    # ... and the same message from every command.
    messages = {
        json.loads(a)[2] for command, seen in answers.items() if command != "open content/b.md" for _, a in seen
    }
    assert messages == {LEGACY_UNCHECKABLE}, messages
    raw = run(repo, "open", "content/b.md", "--raw", ci=False, key=keys)
    assert raw.returncode == 1  # the last variant (wrong key) does not decrypt, even with --raw


# -- 4. nothing unreadable is destroyed ------------------------------------------------------------


def test_seal_refuses_to_replace_a_seal_it_cannot_open(repo: Path) -> None:
    article = repo / "content" / "a.md"
    sealed = article.read_bytes()
    cases = {
        "wrong key": jwks(Key("newsroom-2026", "A256GCM", bytes(32)), OTHER),
        "unknown kid": jwks(OTHER),
        "legacy without a legacy key": jwks(OTHER),
        "tampered": jwks(REAL, OTHER),
    }
    for case, keys in cases.items():
        data = sealed
        if case == "legacy without a legacy key":
            data = sealed.replace(sealed.split(b'secured: "')[1].split(b'"')[0], legacy_seal(b"{}").encode())
        if case == "tampered":
            value = sealed.split(b'secured: "')[1].split(b'"')[0]
            data = sealed.replace(value, value[:-3] + (b"AAA" if not value.endswith(b"AAA") else b"AAQ"))
        article.write_bytes(data)
        for extra in ([], ["--dry-run"]):
            done = run(repo, "seal", "content/a.md", "--primary", "newsroom-2027", *extra, ci=False, key=keys)
            assert done.returncode == 1, (case, done.stdout)
            assert "refused" in done.stdout and "--force" in done.stdout, (case, done.stdout)
            assert article.read_bytes() == data, case
        forced = run(repo, "seal", "content/a.md", "--force", "--primary", "newsroom-2027", ci=False, key=jwks(OTHER))
        assert forced.returncode == 0 and "could not be opened" in forced.stdout, (case, forced.stdout)


def test_the_readme_first_command_works_and_says_why_it_forces(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("python3 -m venv .venv && . .venv"))
    assert "securedoc seal --force demo/" in command
    shutil.copytree(ROOT / "keys", tmp_path / "keys")
    (tmp_path / "demo").mkdir()
    shutil.copy(ROOT / "examples" / "2020-08-15-clearview-ai-ice.md", tmp_path / "demo")
    steps = command.split(" && ")
    for step in steps[steps.index("mkdir -p demo") :]:
        if step.startswith("cp examples/"):
            continue
        args = step.split()
        if args[0] == "mkdir":
            continue
        done = run(tmp_path, *args[1:], ci=False)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    assert "cannot be opened without its key" in " ".join(readme.split())


# -- 5. unbound fields fail by default -------------------------------------------------------------


def test_fields_the_seal_does_not_bind_fail_in_every_format(repo: Path) -> None:
    article = repo / "content" / "a.md"
    text = article.read_text()
    article.write_text(text.replace("heat: 1\n", "heat: 1\nurl: /elsewhere\naliases: [/old]\n"))
    keys = jwks(REAL)
    done = run(repo, "verify", "content", key=keys)
    assert done.returncode == 1
    assert "content/a.md:4: url: not bound by the seal" in done.stdout
    assert "content/a.md:5: aliases: not bound by the seal" in done.stdout
    obj = json.loads(run(repo, "verify", "content/a.md", "--format", "json", key=keys).stdout)
    assert obj["status"] == "mismatch"
    assert [(f["name"], f["line"], f["change"]) for f in obj["fields"]] == [
        ("url", 4, "unbound"),
        ("aliases", 5, "unbound"),
    ]
    github = run(repo, "verify", "content", "--format", "github", key=keys).stdout
    assert "::error file=content/a.md,line=4,title=securedoc%3A url not bound::" in github
    assert "::error file=content/a.md,line=5,title=securedoc%3A aliases not bound::" in github
    junit = ET.fromstring(run(repo, "verify", "content", "--format", "junit", key=keys).stdout)
    failure = junit.find(".//failure")
    assert failure is not None and "content/a.md:4: url: not bound" in (failure.text or "")
    warn = run(repo, "verify", "content", "--unbound", "warn", key=keys)
    assert warn.returncode == 0 and "content/a.md:4: 'url' is not bound by the seal" in warn.stdout
    assert run(repo, "verify", "content", "--unbound", "ignore", key=keys).returncode == 0
    assert (
        run(repo, "verify", "content", "--exclude-field", "url", "--exclude-field", "aliases", key=keys).returncode == 0
    )
    # A field excluded by the trusted revision's configuration need not be bound.
    (repo / "securedoc.yaml").write_text("fields:\n  exclude: [url, aliases]\n")
    git(repo, "commit", "-qam", "url and aliases are not sealed")
    assert run(repo, "verify", "content", "--trust", "HEAD", key=keys).returncode == 0
    assert run(repo, "verify", "content", key=keys).returncode == 2  # ... but not the checkout's, in CI


def test_a_hidden_field_put_back_with_a_fake_value_fails(repo: Path) -> None:
    keys = jwks(REAL)
    assert run(repo, "seal", "content/a.md", "--hide", "heat", ci=False, key=keys).returncode == 0
    article = repo / "content" / "a.md"
    article.write_text(article.read_text().replace("title: Correction\n", "title: Correction\nheat: 99\n"))
    done = run(repo, "verify", "content/a.md", key=keys)
    assert done.returncode == 1 and "heat: not bound by the seal" in done.stdout


# -- rotate refuses demo-key seals ------------------------------------------------------------------


def test_rotate_refuses_demo_seals_and_does_not_repeat_the_retired_key_warning(repo: Path) -> None:
    demo_and_real = json.dumps({"keys": [json.loads(DEMO_JWK), key_to_jwk(REAL), key_to_jwk(OTHER)]})
    assert run(repo, "seal", "content/a.md", "--force", "--primary", "demo", ci=False).returncode == 0
    before = (repo / "content" / "a.md").read_bytes()
    done = run(repo, "rotate", "content/a.md", "--to", "newsroom-2027", ci=False, key=demo_and_real)
    assert done.returncode == 1 and "public demo key 'demo'" in done.stdout and "refused" in done.stdout
    assert (repo / "content" / "a.md").read_bytes() == before
    (repo / "securedoc.yaml").write_text("keys:\n  retired: [newsroom-2026]\n")
    done = run(repo, "rotate", "content/b.md", "--to", "newsroom-2027", ci=False, key=demo_and_real)
    assert done.returncode == 0 and "rotated: re-sealed with 'newsroom-2027' (was newsroom-2026)" in done.stdout
    # verify says a seal by a retired key wants `securedoc rotate`; once rotated, that is done
    assert "run `securedoc rotate`" not in done.stdout, done.stdout


def test_trust_differences_cannot_forge_output(repo: Path) -> None:
    (repo / "keys" / "\x1b[32mok\x1b[0m\n::notice::fine.jwk").write_text("{}")
    for fmt in ("text", "json", "github", "junit"):
        done = run(repo, "verify", "content", "--trust", "base", "--format", fmt, key=jwks(REAL))
        assert done.returncode == 0, (fmt, done.stdout, done.stderr)
        assert "\x1b" not in done.stdout and "\n::notice::fine" not in done.stdout, (fmt, done.stdout)
        assert "ok" in done.stdout
