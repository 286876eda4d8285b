"""A same-person hint between a member and an IdP user whose addresses differ by the domain only suggests aliasing
the domains, but only when both are domain names (tester22 finding 3): a no-break space pasted into the IdP's
address (``kevin.brown@acme\\xa0.example``) is no domain, so the hint links them sending the member's Sigma email
and says why (was: ``domain_aliases: {acme.example: "acme\\xa0.example"}``, "the old domain is an alias of the new
one", which aliased the whole organization's domain to a broken one); one domain written in Unicode and in punycode
is said to be one domain in DNS (IDNA, RFC 5891), not an old name of another."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.near_addresses import dns_domain
from planner.planfile import read_plan

from .conftest import REPO, run_cli

ACME = REPO / "samples" / "acme"
GRETA, GRETA_IDP = "jR368hGsY28MChDckenlesDKgZpsj", "00ufaBfQcK29VwKggTJK"


@pytest.mark.parametrize("domain, dns", [
    ("acme.example", "acme.example"), ("ACME.Example", "acme.example"), ("bücher.example", "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("acme\xa0.example", None), ("acme .example", None),
    ("a_b.example", None), ("acme..example", None)])
def test_dns_domain(domain, dns):
    assert dns_domain(domain) == dns


def okta_with(tmp_path: Path, old: str, new: str) -> Path:
    """samples/acme/okta with the IdP user of address ``old`` given ``new`` as its login and email."""
    okta = tmp_path / "okta"
    shutil.copytree(ACME / "okta", okta)
    users = json.loads((okta / "users.json").read_text(encoding="utf-8"))
    [user] = [u for u in users if u["profile"]["login"] == old]
    user["profile"]["login"] = user["profile"]["email"] = new
    (okta / "users.json").write_text(json.dumps(users), encoding="utf-8")
    return okta


def sigma_with(tmp_path: Path, old: str, new: str) -> Path:
    """samples/acme/sigma with the member of email ``old`` given ``new``."""
    sigma = tmp_path / "sigma"
    shutil.copytree(ACME / "sigma", sigma)
    text = (sigma / "members.json").read_text(encoding="utf-8")
    assert text.count(f'"{old}"') == 1
    (sigma / "members.json").write_text(text.replace(f'"{old}"', json.dumps(new, ensure_ascii=False)), encoding="utf-8")
    return sigma


def hint(capsys, tmp_path: Path, sigma: Path, okta: Path, idp_id: str):
    out = tmp_path / "p.json"
    code, _, err = run_cli(capsys, "plan", "--sigma", str(sigma), "--idp", str(okta), "--policy",
                           str(ACME / "policy-okta-reviewed.yaml"), "--out", str(out), "--detailed-exitcode")
    assert code == 3, err
    [item] = [i for i in read_plan(out).review_items if i.id == f"linking.same_person_hint:{idp_id}"]
    return item


def test_an_idp_domain_with_a_no_break_space_is_never_offered_as_an_alias(capsys, tmp_path):
    okta = okta_with(tmp_path, "greta.dunmore@acme.example", "greta.dunmore@acme\xa0.example")
    item = hint(capsys, tmp_path, ACME / "sigma", okta, GRETA_IDP)
    assert item.resolution == (
        "# same person: link them, sending the member's Sigma email greta.dunmore@acme.example; the IdP's domain "
        "'acme\\xa0.example' is no domain name (U+00A0 at position 5): correct the userName in the IdP and plan "
        "again, never alias it:\n"
        f"linking:\n  overrides:\n    - {{idp: {GRETA_IDP}, member: {GRETA}}}\n"
        f"user_name_guard:\n  overrides:\n    {GRETA_IDP}: use_sigma_email\n"
        "# or:\n"
        f"# linking:\n#   overrides:\n#     - {{idp: {GRETA_IDP}, member: never}}\n")


def test_one_domain_in_unicode_and_in_punycode_is_said_to_be_one_domain(capsys, tmp_path):
    sigma = sigma_with(tmp_path, "greta.dunmore@acme.example", "greta.dunmore@bücher.example")
    okta = okta_with(tmp_path, "greta.dunmore@acme.example", "greta.dunmore@xn--bcher-kva.example")
    item = hint(capsys, tmp_path, sigma, okta, GRETA_IDP)
    assert item.resolution.splitlines()[:4] == [
        "# same person, one domain written two ways: bücher.example is xn--bcher-kva.example in DNS (IDNA, RFC 5891):",
        "linking:", "  domain_aliases:", '    "bücher.example": xn--bcher-kva.example']
