import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite fixtures/golden/ from the current output instead of comparing with it.",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end tests with real tools (deselect with -m 'not slow')")
