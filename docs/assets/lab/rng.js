// @ts-check
// A tiny seeded generator that the browser lab and Python (rnn_site/scratch/rng.py) compute
// identically: Mulberry32 (Tommy Ettinger, public domain). Uniform doubles take 53 bits from two
// draws, so `random()` gives the same numbers on both sides bit for bit; normals use Box-Muller,
// whose log and cos may differ in the last bit between the two maths libraries.

export class LabRandom {
  /** @param {number} seed an integer from 0 to 2**32 - 1 */
  constructor(seed) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer from 0 to ${0xffffffff}, got ${seed}`);
    }
    this.state = seed >>> 0;
  }

  /** The next 32 random bits as an integer in [0, 2**32). */
  nextUint32() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (27 from one draw, 26 from the next). */
  random() {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** One standard normal by Box-Muller (1 - u keeps the logarithm's argument above 0). */
  normal() {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A uniform integer in [0, n).
   * @param {number} n
   * @returns {number}
   */
  integer(n) {
    return Math.floor(this.random() * n);
  }

  /**
   * `count` uniforms in [low, high), in order (row-major when they fill a matrix).
   * @param {number} low
   * @param {number} high
   * @param {number} count
   * @returns {Float64Array}
   */
  uniform(low, high, count) {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = low + (high - low) * this.random();
    return out;
  }

  /**
   * `count` standard normals, in order.
   * @param {number} count
   * @returns {Float64Array}
   */
  standardNormal(count) {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal();
    return out;
  }
}
