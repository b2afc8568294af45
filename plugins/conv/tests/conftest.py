"""Makes the tests' helper module (``conv_parity``) importable under importlib mode, loads
only this family on core + cpu (as the plugin matrix does), and turns plugin load failures
into errors."""

import os
import sys

os.environ.setdefault("EMBER_PLUGINS", "cpu,conv")
os.environ.setdefault("EMBER_STRICT_PLUGINS", "1")
sys.path.insert(0, os.path.dirname(__file__))
