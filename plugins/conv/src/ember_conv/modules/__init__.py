"""The layer classes of ember-conv (each forward calls its functional op)."""
