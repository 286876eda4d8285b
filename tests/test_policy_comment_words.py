"""The shipped policies' comments say what a reactivation does to documents as the plan's items do: an archive with
``newOwnerId`` gave them to another owner and a reactivation does not move them back (docs/sigma-api.md §2.5;
the ``linking.rehire`` item since 162eda0: "documents their archive gave to another owner stay with that owner").
close10-s20 left policies/examples/okta.yaml:63 saying Ruth Adler's "workbooks return"; entra.yaml and demo.yaml
carried the same line, policies/default.yaml "so their documents come back". Each comment keeps its line count, so
the policy lines other tests and messages name do not move."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ["policies/default.yaml", "policies/examples/okta.yaml", "policies/examples/entra.yaml",
           "policies/examples/demo.yaml"]
RUTH = "3X1tfNuPuim0SwRr6E0QmcNxHghoI"
RUTH_ENTRY = {"policies/examples/okta.yaml": f"    - {{idp: 00uSdaXsT70zT6UFufLT, member: {RUTH}}}",
              "policies/examples/entra.yaml": f"    - {{idp: ruth.adler@acme.example, member: {RUTH}}}",
              "policies/examples/demo.yaml": f"    - {{idp: 00uSdaXsT70zT6UFufLT, member: {RUTH}}}"}


@pytest.mark.parametrize("path", sorted(RUTH_ENTRY))
def test_ruth_adler_s_override_says_her_documents_stay_with_their_new_owner(path):
    lines = (REPO / path).read_text(encoding="utf-8").splitlines()
    at = lines.index(RUTH_ENTRY[path])
    assert lines[at - 1] == ("    # Ruth Adler came back: reactivate her archived account; documents her archive "
                             "gave away stay with their new owner.")


def test_default_policy_s_archived_members_comment_says_the_same():
    lines = (REPO / "policies/default.yaml").read_text(encoding="utf-8").splitlines()
    at = lines.index("  archived_members: review")
    assert lines[at - 2:at] == [
        "  # An active IdP user matching an archived or inactive Sigma member (a rehire): `review` (blocking",
        "  # item) or `reactivate` it before linking (documents its archive gave another owner stay there).",
    ]


@pytest.mark.parametrize("path", SHIPPED)
def test_no_shipped_policy_says_documents_come_back(path):
    text = (REPO / path).read_text(encoding="utf-8").casefold()
    assert [w for w in ("workbooks return", "documents return", "documents come back") if w in text] == []
