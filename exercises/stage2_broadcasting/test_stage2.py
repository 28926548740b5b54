"""Stage 2, graded against PyTorch: torch.broadcast_shapes, and the gradients of x + y."""
import numpy as np
import pytest
import torch

PAIRS = [((3,), (3,)), ((4, 3), (3,)), ((4, 1), (1, 5)), ((2, 1, 3), (4, 1)), ((), (2, 3)),
         ((1,), (2, 3)), ((5, 1, 1), (1, 1, 1)), ((2, 3, 4), (2, 3, 4))]


@pytest.mark.parametrize("a, b", PAIRS)
def test_broadcast_shape(impl, a, b):
    assert tuple(impl.broadcast_shape(a, b)) == tuple(torch.broadcast_shapes(a, b))
    assert tuple(impl.broadcast_shape(b, a)) == tuple(torch.broadcast_shapes(b, a))


@pytest.mark.parametrize("a, b", [((4, 3), (4,)), ((2, 3), (3, 3)), ((2, 5, 4), (3, 1))])
def test_shapes_that_do_not_broadcast(impl, a, b):
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(a) + torch.zeros(b)
    try:
        impl.broadcast_shape(a, b)
    except NotImplementedError:  # a RuntimeError too: let it say what is left to write
        raise
    except RuntimeError as ours:
        assert str(ours) == str(theirs.value)
    else:
        pytest.fail(f"broadcast_shape{a, b} must raise RuntimeError")


@pytest.mark.parametrize("a, b", PAIRS)
def test_sum_to_shape_gives_torchs_gradients(impl, a, b):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(a), requires_grad=True)
    y = torch.tensor(rng.standard_normal(b), requires_grad=True)
    z = x * 1.0 + y
    g = rng.standard_normal(tuple(z.shape))
    z.backward(torch.tensor(g))
    for leaf in (x, y):
        ours = impl.sum_to_shape(g.copy(), tuple(leaf.shape))
        assert np.shape(ours) == tuple(leaf.shape)
        np.testing.assert_allclose(ours, leaf.grad.numpy(), rtol=1e-12, atol=1e-12)
