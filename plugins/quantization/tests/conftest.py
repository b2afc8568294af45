import os
import sys

os.environ.setdefault("EMBER_STRICT_PLUGINS", "1")
sys.path.insert(0, os.path.dirname(__file__))
