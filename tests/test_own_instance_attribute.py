"""An attribute of an instance of a class of the same module (`params.conn`, where `params` is what
`get_mq_connection()` returns: a `ConnectionParams(conn, ...)` it builds around a
`stomp.Connection`) is what the class sets it to (`index.ModuleIndex._own_instance`): with the
project, the module's own origin `pkg.mod.ConnectionParams().conn` cannot be expanded by the project,
which reads other modules only. The fixtures' pair, scanned as a project."""

from __future__ import annotations

from harness import FIXTURES, project_findings

BAD = (FIXTURES / "stomp" / "bad_send_on_connection_held_by_params_object.py").read_text()
GOOD = (FIXTURES / "stomp" / "good_send_on_connection_held_by_params_object_with_id.py").read_text()


def test_send_on_a_connection_a_holder_object_keeps_is_judged(tmp_path):
    found = project_findings(tmp_path, {"notify/__init__.py": "", "notify/mqutils.py": BAD}, lines=True)
    assert found == [("mqutils.py", "IDEM003", "high", 34)], found


def test_send_with_a_request_id_header_is_silent(tmp_path):
    assert project_findings(tmp_path, {"notify/__init__.py": "", "notify/mqutils.py": GOOD}) == []
