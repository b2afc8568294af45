"""``ember.nn.init``: parameter initialization (filled in by the nn-core work)."""
