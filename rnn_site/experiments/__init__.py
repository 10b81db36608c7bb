"""Experiments behind chapters 1 and 3: small, seeded, and each one idea per module.

- `unrolling`: a tiny RNN run one step at a time with every number kept (chapter 1).
- `gradient_flow`: ‖∂L/∂h_t‖ against distance in time for tanh RNN, LSTM and GRU (chapter 3).
- `long_range`: the adding problem, trained with torch; `python -m rnn_site.experiments.long_range`
  reruns it and caches the results the training page shows (chapter 3).
- `char_lm_units`: which hidden units of the Shakespeare model follow features of the text, chosen
  on one held-out play and measured on another; `python -m rnn_site.experiments.char_lm_units`
  caches the results the text-generation page shows (needs the corpus, not torch).
- `cell_comparison`: tanh RNN, GRU, LSTM, minGRU and minLSTM at one parameter budget on
  Shakespeare and the adding problem; `python -m rnn_site.experiments.cell_comparison` caches
  the table of chapter 5 (which `python -m rnn_site.bench.scan`'s benchmark joins).

`unrolling` and `gradient_flow` need only NumPy and `rnn_site.scratch`; `long_range` imports torch
inside its training functions only, so reading its cached results does not need torch.
"""
