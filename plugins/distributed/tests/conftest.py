"""Loads only what ember-distributed needs (core, cpu, layers and this plugin), makes plugin
load failures errors, and puts the helper modules of this folder on sys.path (importlib
mode)."""

import os
import sys

os.environ.setdefault("EMBER_PLUGINS", "cpu,layers,distributed")
os.environ.setdefault("EMBER_STRICT_PLUGINS", "1")
sys.path.insert(0, os.path.dirname(__file__))
