"""tester22 finding 6: the two plan-file entries the digest leaves out (``created_at``, ``digest``) must hold one JSON
string and nothing else. A second ``"actions"`` written beside ``created_at`` on its line was read (the decoder keeps
the last of two keys) under the unchanged digest and approval: apply made a View member Admin."""
import json

import pytest

from planner.planfile import PlanFileError, read_plan, write_plan

from .conftest import run_cli
from .test_planfile import _plan

LAYOUT = ("plan content does not match its digest: the file is not in the layout sigma-migrate writes (re-indented or "
          "re-saved by an editor?), so it was changed after it was written; use the file `sigma-migrate plan` wrote, "
          "or plan again")


def written(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(_plan("2026-12-08T03:37:15Z"), path)
    return path, path.read_bytes()


def forged_actions(data: bytes) -> bytes:
    """The plan's actions with the one link pointed at member m2 (was m1) for reason 'forged', compact, as a forger
    appends them."""
    actions = json.loads(data)["actions"]
    actions[0]["target"]["memberId"] = "m2"
    actions[0]["reason"] = "forged"
    return json.dumps(actions, separators=(",", ":")).encode()


@pytest.mark.parametrize("entry", [b'"created_at": "2026-12-08T03:37:15Z"', b'"digest": "sha256:'])
def test_a_key_written_beside_an_undigested_entry_is_refused_as_a_changed_file(tmp_path, entry):
    path, data = written(tmp_path)
    start = data.index(b"\n" + entry) + 1
    end = data.index(b",\n", start)
    path.write_bytes(data[:end] + b', "actions": ' + forged_actions(data) + data[end:])
    assert json.loads(path.read_bytes())["actions"][0]["target"]["memberId"] == "m2"  # what a reader would act on
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {LAYOUT}"


def test_a_top_level_entry_written_twice_on_its_own_line_is_refused(tmp_path):
    path, data = written(tmp_path)
    at = data.index(b'\n"created_at": ') + 1
    path.write_bytes(data[:at] + b'"actions": ' + forged_actions(data) + b",\n" + data[at:])
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    assert str(refused.value) == f"{path}: {LAYOUT}"


def test_show_refuses_the_forged_plan_with_exit_1_and_reads_the_written_one(capsys, tmp_path):
    path, data = written(tmp_path)
    code, out, _ = run_cli(capsys, "show", str(path))
    assert code == 0 and "a@x: test a1  (scim.link_user, test.rule)" in out and "forged" not in out
    end = data.index(b",\n", data.index(b'\n"created_at": ') + 1)
    path.write_bytes(data[:end] + b', "actions": ' + forged_actions(data) + data[end:])
    code, out, err = run_cli(capsys, "show", str(path))
    assert (code, out, err.strip()) == (1, "", f"sigma-migrate: error: {path}: {LAYOUT}")
