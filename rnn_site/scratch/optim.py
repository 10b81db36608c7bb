"""SGD and Adam for the scratch cells' parameters, written to match docs/assets/lab/optim.js.

The optimisers update a dict of named float64 arrays in place, one `step(grads)` per batch.
Adam keeps its bias corrections as running products (b1^t as b1 * b1 * ...), not powers, so
Python and JavaScript round them identically and the lab's parity tests can compare runs step by
step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Arrays = dict[str, np.ndarray]


@dataclass
class SGD:
    """Plain gradient descent: p <- p - lr * g.

    See the page: training.md#lab
    """

    lr: float

    def step(self, params: Arrays, grads: Arrays) -> None:
        for name, p in params.items():
            p -= self.lr * grads[name]


@dataclass
class Adam:
    """Adam (Kingma & Ba, 2015) as in torch.optim.Adam without weight decay.

    m and v are moving averages of g and g²; dividing by their bias corrections undoes the
    zero start, so the first steps are not tiny.

    See the page: training.md#lab
    """

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    m: Arrays = field(default_factory=dict)
    v: Arrays = field(default_factory=dict)
    b1t: float = 1.0
    b2t: float = 1.0

    def step(self, params: Arrays, grads: Arrays) -> None:
        self.b1t *= self.beta1
        self.b2t *= self.beta2
        for name, p in params.items():
            g = grads[name]
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            m[...] = self.beta1 * m + (1.0 - self.beta1) * g
            v[...] = self.beta2 * v + (1.0 - self.beta2) * (g * g)
            m_hat = m / (1.0 - self.b1t)
            v_hat = v / (1.0 - self.b2t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
