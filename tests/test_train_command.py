"""Every trainer shares one command-line frame; model flags are added on top."""

from rnn_site.train.command import run_options, training_parser


def test_shared_flags_map_to_train_keyword_arguments() -> None:
    parser = training_parser("demo", "models/x", time_budget_s=300.0)
    parser.add_argument("--max-steps", type=int, default=10)
    args = parser.parse_args(["--seed", "3", "--no-progress", "--max-steps", "7"])
    assert run_options(args) == {
        "out_dir": "models/x",
        "seed": 3,
        "time_budget_s": 300.0,
        "threads": 2,
        "progress": False,
    }
    assert args.max_steps == 7
