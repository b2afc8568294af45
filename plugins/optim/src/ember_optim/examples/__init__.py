"""Runnable examples of ember-optim (``python -m ember_optim.examples.train_shapes``)."""
