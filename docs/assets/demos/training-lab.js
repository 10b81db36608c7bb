// @ts-check
// The training lab of chapter 3 lives in ../lab/ (the JavaScript port of rnn_site.scratch and its
// views); this entry lets the shared loader mount it: <div data-demo="training-lab">.
export { mount } from "../lab/lab.js";
