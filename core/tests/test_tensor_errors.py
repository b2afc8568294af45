"""Bad input raises torch's exception type with torch's message (``torch.`` read as
``ember.``), naming the op and the offending shapes, dims, dtypes or values."""

import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

CASES = {
    "broadcast_2d_1d": lambda m: m.ones(2, 3) + m.ones(4),
    "broadcast_3d_2d": lambda m: m.ones(2, 3, 5) * m.ones(4, 1),
    "broadcast_inplace": lambda m: m.ones(3).add_(m.ones(2, 3)),
    "dim_out_of_range": lambda m: m.ones(2, 3).sum(2),
    "negative_dim_out_of_range": lambda m: m.ones(2, 3).softmax(-3),
    "dim_of_0d": lambda m: m.tensor(1.0).unsqueeze(2),
    "transpose_dim": lambda m: m.ones(2, 3).transpose(0, 5),
    "matmul_shapes": lambda m: m.ones(2, 3) @ m.ones(2, 3),
    "matmul_dtypes": lambda m: m.ones(2, 3) @ m.ones(3, 2, dtype=m.float64),
    "index_out_of_range": lambda m: m.ones(2, 3)[2],
    "index_out_of_range_dim1": lambda m: m.ones(2, 3)[:, 5],
    "index_too_many": lambda m: m.ones(2, 3)[0, 0, 0],
    "float_index": lambda m: m.ones(2, 3)[m.tensor([0.0])],
    "index_select_range": lambda m: m.ones(2, 3).index_select(1, m.tensor([3])),
    "gather_range": lambda m: m.ones(2, 3).gather(1, m.tensor([[3]])),
    "view_incompatible": lambda m: m.ones(3, 4).t().view(12),
    "reshape_numel": lambda m: m.ones(2, 3).reshape(4, 2),
    "expand_size": lambda m: m.ones(2, 3).expand(4, 3),
    "cat_sizes": lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]),
    "stack_sizes": lambda m: m.stack([m.ones(2), m.ones(3)]),
    "bool_subtract": lambda m: m.ones(2, dtype=m.bool) - m.ones(2, dtype=m.bool),
    "bool_negate": lambda m: -m.ones(2, dtype=m.bool),
    "mean_of_int": lambda m: m.ones(2, dtype=m.int64).mean(),
    "bad_rounding_mode": lambda m: m.ones(2).div(2, rounding_mode="x"),
    "inplace_cast": lambda m: m.ones(2, dtype=m.int64).add_(1.5),
    "masked_fill_mask_dtype": lambda m: m.ones(2).masked_fill(m.ones(2), 0),
    "where_condition_dtype": lambda m: m.where(m.ones(2), m.ones(2), m.ones(2)),
    "bitwise_on_float": lambda m: m.ones(2) & m.ones(2),
    "item_of_many": lambda m: m.ones(2).item(),
    "bool_of_many": lambda m: bool(m.ones(2)),
    "requires_grad_on_int": lambda m: m.ones(2, dtype=m.int64).requires_grad_(),
    "inplace_on_leaf": lambda m: m.ones(2, requires_grad=True).add_(1),
    "inplace_on_leaf_view": lambda m: m.ones(2, requires_grad=True)[0].add_(1),
    "backward_non_scalar": lambda m: (m.ones(2, requires_grad=True) * 2).backward(),
    "backward_without_grad": lambda m: m.ones(2).sum().backward(),
    "squeeze_dim": lambda m: m.ones(2).squeeze(1),
    "topk_k": lambda m: m.ones(3).topk(4),
    "kthvalue_k": lambda m: m.ones(3).kthvalue(0),
    "narrow_range": lambda m: m.ones(3).narrow(0, 2, 2),
    "permute_length": lambda m: m.ones(2, 3).permute(0),
    "setitem_shape": lambda m: m.ones(2, 3).__setitem__(0, m.ones(4)),
    "negative_size_zeros": lambda m: m.zeros(-1),
    "negative_size_ones": lambda m: m.ones(2, -3),
    "index_select_range_dim0": lambda m: m.ones(2, 3).index_select(0, m.tensor([3])),
    "max_of_empty": lambda m: m.ones(0).max(),
    "arange_step": lambda m: m.arange(0, 5, 0),
    "int_pow_negative": lambda m: m.tensor([2]) ** -1,
}


def _run(lib, fn):
    try:
        fn(lib)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError(f"{lib.__name__} did not raise")


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_type_and_message_match_torch(name):
    t_exc = _run(torch, CASES[name])
    e_exc = _run(ember, CASES[name])
    assert type(e_exc) is type(t_exc), f"{type(e_exc).__name__}: {e_exc} vs {t_exc!r}"
    assert str(e_exc) == str(t_exc).replace("torch.", "ember.")


def test_backward_through_freed_graph():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                                               "time"):
            y.backward()


def test_modified_saved_tensor():
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        y = x.exp()
        z = y * 2
        y.add_(1)
        with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient "
                                               r"computation has been modified by an inplace "
                                               r"operation: \[\w+\.FloatTensor \[3\]\], which is "
                                               r"output 0 of Exp\w*, is at version 1; "
                                               r"expected version 0 instead"):
            z.sum().backward()


def test_device_mismatch_and_missing_backend():
    with pytest.raises(RuntimeError, match="no backend for device 'cuda'"):
        ember.ones(2, device="cuda")
