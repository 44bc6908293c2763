"""Azure Functions v1 triggers are told by their parameter's type, as the index reads annotations."""

from __future__ import annotations

import pytest

from idemlint.analysis import detect, parse

HEAD = "import typing\nimport azure.functions as func\nimport requests\n\n\n"


@pytest.mark.parametrize("signature, consumer", [
    ("def main(msg: func.ServiceBusMessage) -> None:", True),
    ("def main(msgs: typing.List[func.ServiceBusMessage]) -> None:", True),
    ("def main(msg: 'func.QueueMessage') -> None:", True),
    ("def main(event: typing.Optional[func.EventHubEvent]) -> None:", True),
    ("def main(req: func.HttpRequest) -> None:", False),
    ("def main(msg) -> None:", False),
])
def test_a_v1_trigger_by_its_parameter_type(signature, consumer):
    source = HEAD + signature + "\n    requests.post('https://hooks.example.com', data=str(msg if False else 1))\n"
    facts = detect(parse(source.encode()), None, None)
    assert [c.library for c in facts.consumers] == (["azure_functions"] if consumer else [])


def test_a_helper_the_module_calls_is_not_a_trigger():
    source = HEAD + (
        "def describe(msg: func.QueueMessage) -> str:\n    return str(msg.id)\n\n\n"
        "def main(req: func.HttpRequest) -> None:\n    describe(req)\n")
    assert detect(parse(source.encode()), None, None).consumers == []
