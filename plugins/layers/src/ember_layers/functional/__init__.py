"""The functional forms of ember-layers, one module per family.

Each is exposed as ``ember.nn.functional.<name>`` through the plugin's namespace entries;
importing this package does not import the Module classes.
"""
