// @ts-check
// SGD and Adam, as rnn_site/scratch/optim.py: update named matrices in place, one step per batch.
// Adam's bias corrections are running products (b1^t as b1 * b1 * ...), as in Python, so both
// sides round them identically.

/** @typedef {Record<string, import("./linalg.js").Mat>} Mats matrices by parameter name */

export class SGD {
  /** @param {{lr: number}} options */
  constructor({ lr }) {
    this.lr = lr;
  }

  /**
   * @param {Mats} params  updated in place
   * @param {Mats} grads
   */
  step(params, grads) {
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name].data;
      for (let i = 0; i < p.data.length; i++) p.data[i] -= this.lr * g[i];
    }
  }
}

export class Adam {
  /** @param {{lr: number, beta1?: number, beta2?: number, eps?: number}} options */
  constructor({ lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }) {
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    /** @type {Record<string, Float64Array>} */
    this.m = {};
    /** @type {Record<string, Float64Array>} */
    this.v = {};
    this.b1t = 1;
    this.b2t = 1;
  }

  /**
   * @param {Mats} params  updated in place
   * @param {Mats} grads
   */
  step(params, grads) {
    this.b1t *= this.beta1;
    this.b2t *= this.beta2;
    const { lr, beta1, beta2, eps } = this;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name].data;
      const m = (this.m[name] ??= new Float64Array(p.data.length));
      const v = (this.v[name] ??= new Float64Array(p.data.length));
      for (let i = 0; i < p.data.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * (g[i] * g[i]);
        const mHat = m[i] / (1 - this.b1t);
        const vHat = v[i] / (1 - this.b2t);
        p.data[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    }
  }
}

/**
 * An optimiser by name: "sgd" or "adam".
 * @param {string} name
 * @param {number} lr
 * @returns {SGD | Adam}
 */
export function makeOptimizer(name, lr) {
  if (name === "sgd") return new SGD({ lr });
  if (name === "adam") return new Adam({ lr });
  throw new RangeError(`unknown optimiser "${name}"; choose sgd or adam`);
}
