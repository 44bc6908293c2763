"""oslo.messaging RPC casts from a notification endpoint, through the project's own engine client
kept as a module singleton in another module (`rpc_client.get_engine_client()`, `global _CLIENT`),
as OpenStack services write it: the cast is the endpoint's side effect (IDEM001, low: an endpoint
seen by its signature, an RPC whose remote work is out of view). An HTTP controller casting through
the same client is no consumer.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

CLIENT = '''
import oslo_messaging
from oslo_config import cfg

_CLIENT = None


class EngineClient:
    def __init__(self):
        transport = oslo_messaging.get_rpc_transport(cfg.CONF)
        self._client = oslo_messaging.get_rpc_client(transport, oslo_messaging.Target(topic="engine"))

    def call(self, ctxt, method, req, version=None):
        client = self._client.prepare(version=version) if version else self._client
        return client.call(ctxt, method, req=req)


def get_engine_client():
    global _CLIENT
    if not _CLIENT:
        _CLIENT = EngineClient()
    return _CLIENT
'''

ENDPOINT = '''
from app.rpc import client as rpc_client


class NovaNotificationEndpoint:
    def __init__(self, cluster_id):
        self.cluster_id = cluster_id
        self.rpc = rpc_client.get_engine_client()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        node_id = payload["metadata"].get("cluster_node_id")
        if node_id:
            self.rpc.call(ctxt, "node_recover", {"identity": node_id, "event": event_type})
'''

CONTROLLER = '''
from app.rpc import client as rpc_client


class NodeController:
    def recover(self, req, node_id):
        return rpc_client.get_engine_client().call(req.context, "node_recover", {"identity": node_id})
'''


def test_an_rpc_call_through_a_singleton_client_is_the_endpoints_effect(tmp_path: Path) -> None:
    found = project_findings(tmp_path, {"app/__init__.py": "", "app/rpc/__init__.py": "", "app/rpc/client.py": CLIENT,
                                        "app/engine/__init__.py": "", "app/engine/nova_endpoint.py": ENDPOINT,
                                        "app/api/__init__.py": "", "app/api/nodes.py": CONTROLLER})
    assert found == [("nova_endpoint.py", "IDEM001", "low")]
