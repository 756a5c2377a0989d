"""The anchored coordinates of ordered thresholds (a change of the sampler's coordinates only)."""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest

from trustmodels.models.cutpoints import AnchoredOrderedTransform, median_anchors


def _random_thresholds(rng, rows, n_cuts):
    return np.sort(rng.normal(0.0, 2.0, size=(rows, n_cuts)), axis=1)


@pytest.mark.parametrize("anchors", [[0, 0, 0], [2, 5, 3], [5, 1, 0]])
def test_round_trip_and_anchor_coordinate(anchors):
    tau = _random_thresholds(np.random.default_rng(1), 3, 6)
    transform = AnchoredOrderedTransform(anchors)
    y = transform.forward(pt.as_tensor(tau)).eval()
    np.testing.assert_allclose(transform.backward(pt.as_tensor(y)).eval(), tau, rtol=1e-12)
    rows = np.arange(3)
    np.testing.assert_allclose(y[rows, anchors], tau[rows, anchors])  # the anchor is kept
    # any real vector maps to increasing thresholds
    back = transform.backward(pt.as_tensor(np.random.default_rng(2).normal(size=(3, 6)))).eval()
    assert (np.diff(back, axis=1) > 0).all()


def test_anchor_zero_is_pymcs_ordered_transform():
    tau = _random_thresholds(np.random.default_rng(3), 4, 5)
    ours = AnchoredOrderedTransform([0] * 4)
    ordered = pm.distributions.transforms.ordered
    value = pt.as_tensor(tau)
    np.testing.assert_allclose(ours.forward(value).eval(), ordered.forward(value).eval())
    y = ordered.forward(value)
    np.testing.assert_allclose(ours.log_jac_det(y).eval(), ordered.log_jac_det(y).eval())


@pytest.mark.parametrize("anchor", [0, 2, 4])
def test_log_jacobian_matches_the_determinant_of_the_jacobian(anchor):
    transform = AnchoredOrderedTransform([anchor])
    y = pt.vector("y")
    tau = transform.backward(y[None, :])[0]
    jacobian = pytensor.function([y], pytensor.gradient.jacobian(tau, y))
    log_det = pytensor.function([y], transform.log_jac_det(y[None, :])[0])
    point = np.random.default_rng(4).normal(size=5)
    _, expected = np.linalg.slogdet(jacobian(point))
    np.testing.assert_allclose(log_det(point), expected, rtol=1e-10)


def test_anchors_are_validated_and_median_anchors_stay_in_range():
    with pytest.raises(ValueError, match="one non-negative index per row"):
        AnchoredOrderedTransform([[0, 1]])
    with pytest.raises(ValueError, match="one non-negative index per row"):
        AnchoredOrderedTransform([-1])
    # all answers in the top category: anchor at the last threshold (K - 2), not beyond
    anchors = median_anchors([7, 7, 7, 1, 1, 4], [0, 0, 0, 1, 1, 1], [7, 7])
    assert anchors.tolist() == [5, 0]
