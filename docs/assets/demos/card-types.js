// @ts-check
// The model card (`models/<name>/card.json`) as the demos read it, in JSDoc for `tsc --noEmit`.
// The full contract is rnn_site/card.schema.json (generated from rnn_site/card.py); these types
// follow it for the fields a script reads and keep the rest loose. No code: import the types with
//   /** @type {import("./card-types.js").Card} */
// A demo that knows its model's task narrows with `card.task === "translation"` or names the
// task's card, e.g. `import("./card-types.js").TranslationCard`.

/**
 * One input or output of an ONNX graph: element type and shape (numbers, or names such as "batch").
 * @typedef {{dtype: string, shape: (number | string)[]}} TensorContract
 */

/**
 * The inputs and outputs of one ONNX graph, by name.
 * @typedef {{inputs: Record<string, TensorContract>, outputs: Record<string, TensorContract>}} GraphContract
 */

/**
 * Fields every card has, whatever its task.
 * @typedef {object} CardCommon
 * @property {string} name  the model's name in models/manifest.json, e.g. "char-lm"
 * @property {string} version
 * @property {string} title
 * @property {string} summary
 * @property {Record<string, string>} files  file name by role ("step", "seeds", "torch"…), relative to the card
 * @property {Record<string, Record<string, number>>} metrics
 * @property {Record<string, Record<string, number>>} baselines
 * @property {Record<string, "lower" | "higher">} better
 * @property {string} licence
 * @property {string} source_commit
 * @property {string} intended_use
 * @property {string[]} limits
 * @property {Record<string, unknown>} data  what it was trained on (DataRecord in the schema)
 * @property {Record<string, unknown>} training  how it was trained (TrainingRecord in the schema)
 */

/**
 * A character language model (char-lm, char-mingru, or a reader's own export).
 * @typedef {CardCommon & {
 *   task: "text-generation",
 *   vocab: string,
 *   unknown?: string,
 *   parameters?: number,
 *   config: {vocab_size: number, hidden_size: number, num_layers: number, embed_dim?: number,
 *     dropout?: number, cell?: string, scan?: string},
 *   io: {step: GraphContract, sequence?: GraphContract, opset: number, nodes?: string,
 *     encoding?: string, state?: string},
 *   example_greedy: {prompt: string, n: number, output: string},
 * }} TextGenerationCard
 */

/**
 * Word-level tokenisation shared by the sentiment and translation models.
 * @typedef {object} Tokenizer
 * @property {string} pattern  a regular expression (JavaScript flavour too) matching one token
 * @property {boolean} lowercase
 * @property {Record<string, string>} replace
 * @property {number} pad
 * @property {number} unknown
 * @property {number} max_tokens
 * @property {string} [normalize]
 * @property {number} [bos]
 * @property {number} [eos]
 * @property {{pieces: "bpe" | "words", continuation: string}} [target]
 */

/**
 * The sentiment classifier.
 * @typedef {CardCommon & {
 *   task: "text-classification",
 *   vocab: string[],
 *   tokenizer: Tokenizer,
 *   config: {vocab_size: number, embed_dim: number, hidden_size: number, dropout: number},
 *   io: {sequence: GraphContract, opset: number},
 *   results: Record<string, unknown>,
 *   examples: Record<string, unknown>,
 * }} TextClassificationCard
 */

/**
 * The German-English translator (encoder and decoder graphs).
 * @typedef {CardCommon & {
 *   task: "translation",
 *   vocab: {src: string[], tgt: string[]},
 *   tokenizer: Tokenizer,
 *   config: {src_vocab: number, tgt_vocab: number, embed_dim: number, encoder_hidden: number,
 *     decoder_hidden: number, dropout: number},
 *   io: {encoder: GraphContract, decoder: GraphContract, opset: number},
 *   beam: number,
 *   results: Record<string, unknown>,
 *   examples: Record<string, unknown>,
 *   unk_dictionary?: Record<string, string>,
 * }} TranslationCard
 */

/**
 * The spoken-letter recogniser (CTC over `alphabet`, `blank` its blank id).
 * @typedef {CardCommon & {
 *   task: "speech-recognition",
 *   alphabet: string,
 *   blank: number,
 *   audio: {sample_rate: number, n_fft: number, hop: number, n_mels: number, step_seconds: number,
 *     min_samples: number, trim?: {frame: number, threshold_db: number, margin_s: number}},
 *   samples: {file: string, text: string, voice: string, kind: string, licence?: string}[],
 *   config: Record<string, number>,
 *   io: {speech: GraphContract, opset: number, nodes?: string},
 *   results: Record<string, unknown>,
 *   per_voice: Record<string, number>,
 * }} SpeechRecognitionCard
 */

/**
 * Settings of one series the forecaster was trained on.
 * @typedef {object} SeriesSettings
 * @property {number} id
 * @property {number} period
 * @property {number} lookback
 * @property {number} horizon
 * @property {number} scale
 * @property {number} norm_scale
 * @property {number} anomaly_threshold
 * @property {number} anomaly_unit  the anomaly benchmark's size unit (robust scale of one-step changes)
 */

/**
 * The time-series forecaster (quantile forecasts for several series).
 * @typedef {CardCommon & {
 *   task: "time-series-forecasting",
 *   config: {n_series: number, series_dim: number, hidden_size: number, num_layers: number,
 *     horizon: number, periods: number[], normalisation: string},
 *   io: {forecaster: GraphContract, opset: number},
 *   quantiles: number[],
 *   interval_level: number,
 *   min_history: number,
 *   max_horizon: number,
 *   series: Record<string, SeriesSettings>,
 *   targets: Record<string, number>,
 * }} ForecastingCard
 */

/**
 * The melody model (Bach chorale soprano lines as event tokens).
 * @typedef {CardCommon & {
 *   task: "music-generation",
 *   tokens: string[],
 *   grammar: Record<string, string[]>,
 *   config: {vocab_size: number, embed_dim: number, hidden_size: number, num_layers: number,
 *     dropout: number},
 *   io: {step: GraphContract, opset: number},
 *   generated_statistics: Record<string, unknown>,
 *   example_greedy: {mode: string, beats_per_bar: number, pickup: number, seed: (number | null)[][],
 *     n: number, output: (number | null)[][]},
 * }} MusicGenerationCard
 */

/**
 * Any model card; `task` tells which.
 * @typedef {TextGenerationCard | TextClassificationCard | TranslationCard | SpeechRecognitionCard
 *   | ForecastingCard | MusicGenerationCard} Card
 */

/**
 * One file of a model in models/manifest.json (path relative to models/).
 * @typedef {{path: string, sha256: string, bytes: number}} ManifestFile
 */

/**
 * One model in models/manifest.json.
 * @typedef {{name: string, task: string, card: string, files: ManifestFile[]}} ManifestEntry
 */

/**
 * models/manifest.json: every model the site serves.
 * @typedef {{schema: number, models: ManifestEntry[]}} Manifest
 */

export {};
