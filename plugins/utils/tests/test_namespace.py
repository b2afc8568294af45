import importlib

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

FUNCTIONS = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
             "vector_to_parameters", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
             "fuse_linear_bn_eval", "fuse_linear_bn_weights",
             "convert_conv2d_weight_memory_format", "weight_norm", "remove_weight_norm",
             "spectral_norm", "remove_spectral_norm", "skip_init", "get_total_norm",
             "clip_grads_with_norm_", "convert_conv3d_weight_memory_format"]

SUBMODULES = {
    "prune": ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
              "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
              "identity", "random_unstructured", "l1_unstructured", "random_structured",
              "ln_structured", "global_unstructured", "custom_from_mask", "remove",
              "is_pruned"],
    "parametrizations": ["orthogonal", "weight_norm", "spectral_norm"],
    "parametrize": ["register_parametrization", "remove_parametrizations", "cached",
                    "is_parametrized", "ParametrizationList"],
    "stateless": ["functional_call"],
    "rnn": ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
            "pack_sequence", "unpack_sequence", "unpad_sequence"],
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_names(name):
    obj = getattr(ember.nn.utils, name)
    assert callable(obj)
    assert obj.__doc__
    assert hasattr(torch.nn.utils, name)


@pytest.mark.parametrize("mod", sorted(SUBMODULES))
def test_submodules_import_both_ways(mod):
    imported = importlib.import_module(f"ember.nn.utils.{mod}")
    via_attr = getattr(ember.nn.utils, mod)
    from_import = __import__("ember.nn.utils", fromlist=[mod])
    assert imported is via_attr is getattr(from_import, mod)
    tmod = importlib.import_module(f"torch.nn.utils.{mod}")
    for name in SUBMODULES[mod]:
        obj = getattr(imported, name)
        assert obj.__doc__, name
        assert hasattr(tmod, name)


def test_dir_lists_names():
    names = dir(ember.nn.utils)
    for name in FUNCTIONS + sorted(SUBMODULES):
        assert name in names
