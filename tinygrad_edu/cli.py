"""``tinygrad-edu``: train the tutorial's models and predict digits, from the command line.

    tinygrad-edu train --model cnn                      # the tutorial's CNN, on this engine
    tinygrad-edu train --model mlp --backend torch      # the same run on PyTorch
    tinygrad-edu train --model cnn --resume             # continue after Ctrl-C
    tinygrad-edu predict digit.png --checkpoint cnn-edu.ckpt
    tinygrad-edu export --checkpoint cnn-edu.ckpt --out cnn.onnx
    tinygrad-edu predict digit.png --onnx cnn.onnx   # OpenCV's dnn module, as the tutorial does
    tinygrad-edu graph --model cnn --out cnn.png      # the graph of one loss, data and gradients on every node
    tinygrad-edu run script.py [args...]              # an unchanged PyTorch program, on this engine

Also ``python -m tinygrad_edu ...``. This file only reads the flags and reports; the work
is done in ``tinygrad_edu.training``.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import warnings

from .training.errors import TrainingInterrupted, UserError
from .training.paths import check_file
from .training.signals import exit_status, python_defaults, raise_on_signals, restore

PROG = "tinygrad-edu"
GRAPH_FORMATS = (".dot", ".png", ".svg", ".pdf")  # .dot is graphviz text; matplotlib draws the others

EPILOG = """\
defaults follow the tutorial:
  linreg  SGD lr 0.01, 100 epochs, full batch, MSELoss on the tutorial's 6 points
  logreg  SGD lr 0.01, 1000 epochs, full batch, BCELoss on 20 noisy sigmoid points
  mlp     Adam lr 1e-3, batch 128, 5 epochs, NLLLoss, images flattened to 784
  cnn     Adam lr 1e-3, batch 64, 5 epochs, CrossEntropyLoss on the log-probabilities

Both backends start from the same weights (drawn by the engine from --seed) and see the
same samples in the same order (drawn by numpy from --seed and the epoch number).

Files: the checkpoint (default ./MODEL-BACKEND.ckpt) is saved at the end, after an epoch when
30 s have passed since the last save, and on Ctrl-C, kill or a closed terminal (SIGINT, SIGTERM,
SIGHUP: the step in progress is finished, the checkpoint saved, and the exit status is 130, 143
or 129). A loss that becomes NaN or infinite stops training (exit status 1) and keeps the last
good checkpoint. Output paths are checked before training starts. --resume continues
from it exactly, with the settings it was trained with; only --epochs may change (to train
longer). The metrics JSON goes next to it (MODEL-BACKEND.metrics.json) unless --metrics
says where. Checkpoints are written with tinygrad_edu.save (no pickle) by both backends.
"""


SEED_LIMIT = 2**64  # torch.manual_seed takes 64 bits; numpy's generators need seeds >= 0


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed_int(text: str) -> int:
    value = _whole_number(text)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**64 - 1 = {SEED_LIMIT - 1}, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (and a pointer to --help) instead of the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Train the tutorial's models on tinygrad_edu or "
                     "PyTorch, and predict handwritten digits.")
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="{train,predict,export,graph,run,exercises}")

    train = commands.add_parser("train", help="train a model", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("--model", required=True, choices=["linreg", "logreg", "mlp", "cnn"])
    train.add_argument("--backend", choices=["edu", "torch"], help="edu: this engine (default); torch: PyTorch")
    train.add_argument("--epochs", type=positive_int)
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--lr", type=positive_float, help="learning rate")
    train.add_argument("--optimizer", choices=["sgd", "adam"])
    train.add_argument("--seed", type=seed_int, help="initial weights and data order (default 0)")
    train.add_argument("--dtype", choices=["float32", "float64"], help="default float32")
    train.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cuda: torch backend only")
    train.add_argument("--data-root", metavar="DIR",
                       help="folder holding MNIST/raw/ in torchvision's layout (default ./data); "
                            "without it the built-in 4,000/1,000 digits are used")
    train.add_argument("--limit-train", type=positive_int, metavar="N",
                       help="train on the first N training samples only (quick runs)")
    train.add_argument("--checkpoint", metavar="PATH", help="where to save (and --resume from)")
    train.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    train.add_argument("--logdir", metavar="DIR", help="write TensorBoard event files here")
    train.add_argument("--plot", metavar="PATH", help="save the loss and accuracy curves as a PNG")
    train.add_argument("--metrics", metavar="PATH", help="where to write the final metrics JSON")
    train.set_defaults(run=run_train)

    predict = commands.add_parser("predict", help="predict the digit in an image with a trained mlp or cnn")
    predict.add_argument("image", help="an image file; a light digit on a dark background, like MNIST")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", metavar="PATH",
                        help="a checkpoint of 'train --model mlp' or '--model cnn', from either backend")
    source.add_argument("--onnx", metavar="PATH", help="an ONNX file of 'tinygrad-edu export', run by OpenCV's dnn")
    predict.add_argument("--backend", choices=["edu", "torch"], default="edu", help="with --checkpoint")
    predict.set_defaults(run=run_predict)

    export = commands.add_parser("export", help="write a trained mlp or cnn to an ONNX file")
    export.add_argument("--checkpoint", required=True, metavar="PATH", help="a checkpoint of either backend")
    export.add_argument("--out", required=True, metavar="PATH", help="the .onnx file to write")
    export.set_defaults(run=run_export)

    graph = commands.add_parser("graph", help="draw the graph of one training step's loss, with data and gradients")
    graph.add_argument("--model", required=True, choices=["linreg", "logreg", "mlp", "cnn"])
    graph.add_argument("--out", required=True, metavar="PATH",
                       help="a .png, .svg or .pdf picture (matplotlib, no system packages), or graphviz .dot text")
    graph.set_defaults(run=run_graph)

    script = commands.add_parser("run", help="run an unchanged PyTorch program on this engine",
                                 description="Run a PyTorch script with torch and torchvision resolving to "
                                 "tinygrad_edu's modules; a name the engine lacks stops it with one line.")
    script.add_argument("script", help="the Python file to run")
    script.add_argument("args", nargs=argparse.REMAINDER, help="passed on to the script (its sys.argv[1:])")
    script.set_defaults(run=run_script)

    exercises = commands.add_parser("exercises", help="list or grade the exercises in exercises/ against PyTorch")
    exercises.add_argument("action", choices=["list", "check"])
    exercises.add_argument("stage", nargs="?", help="the stage to check, 1-6, or all")
    exercises.add_argument("--reference", action="store_true", help="grade the engine's own code instead of yours")
    exercises.set_defaults(run=run_exercises)
    return parser


def run_train(args: argparse.Namespace) -> int:
    from .training.loop import TrainConfig, train

    options = {k: v for k, v in vars(args).items() if k not in ("command", "run")}
    train(TrainConfig(**options))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from .training.predict import predict, predict_with_onnx

    if args.onnx:
        digit, probabilities = predict_with_onnx(args.image, args.onnx)
    else:
        digit, probabilities = predict(args.image, args.checkpoint, args.backend)
    print(f"predict digit number: {digit}")
    for d, p in enumerate(probabilities):
        print(f"  {d}  {p:.6f}  {'#' * round(40 * float(p))}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from .onnx import export_checkpoint

    check_file(args.out, "--out", (".onnx",))
    print(f"wrote {export_checkpoint(args.checkpoint, args.out)}")
    return 0


def run_graph(args: argparse.Namespace) -> int:
    import tinygrad_edu

    from . import viz
    from .training.data import load
    from .training.recipes import RECIPES

    check_file(args.out, "--out", GRAPH_FORMATS)
    suffix = os.path.splitext(args.out)[1].lower()
    recipe = RECIPES[args.model]
    tinygrad_edu.manual_seed(0)
    model = recipe.build(tinygrad_edu)
    samples = load(recipe, None, 0, "float32", None)
    n = 1 if recipe.classifier else len(samples.x_train)  # one digit, or the regression's whole batch
    x, y = tinygrad_edu.from_numpy(samples.x_train[:n]), tinygrad_edu.from_numpy(samples.y_train[:n])
    loss = getattr(tinygrad_edu.nn, recipe.loss)()(model(x.reshape(n, -1) if recipe.flatten else x), y)
    names = {**dict(model.named_parameters()), "input": x, "target": y, "loss": loss}
    if suffix == ".dot":
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(viz.to_dot(loss, names))
    else:
        viz.draw_graph(loss, args.out, names)
    print(f"wrote {args.out}: {recipe.title}, loss on {n} sample{'s' if n > 1 else ''}, "
          f"{len(viz.build_graph(loss, show_data=False).ops)} ops")
    return 0


EXERCISES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exercises")


def run_exercises(args: argparse.Namespace) -> int:
    import re
    import subprocess

    stages = sorted(d for d in os.listdir(EXERCISES) if d.startswith("stage")) if os.path.isdir(EXERCISES) else []
    if not stages:
        raise UserError(f"no exercises at {EXERCISES}: they come with a checkout of the repository")
    if args.action == "list":
        for name in stages:
            print(f"{name[5]}  {name}  {os.path.join(EXERCISES, name, 'exercise.py')}")
        return 0
    numbers = [str(k) for k in range(1, len(stages) + 1)]
    if args.stage not in numbers + ["all"]:
        raise UserError(f"exercises check needs a stage number from 1 to {len(stages)}, or all")
    target = EXERCISES if args.stage == "all" else os.path.join(EXERCISES, stages[int(args.stage) - 1])
    root = os.path.dirname(EXERCISES)
    env = dict(os.environ, TINYGRAD_EDU_EXERCISES="reference" if args.reference else "exercise", COLUMNS="400",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    result = subprocess.run([sys.executable, "-m", "pytest", target, "-q", "-rA", "--tb=no", "--no-header",
                             "-p", "no:cacheprovider", "-o", "addopts="], cwd=root, env=env, capture_output=True,
                            text=True)
    verdicts = re.findall(r"^(PASSED|FAILED|ERROR) \S*?(stage\d\w*)/\S+::(\S+)(?: - (.*))?$", result.stdout, re.M)
    if not verdicts:
        raise UserError(f"the grader did not run: {(result.stdout + result.stderr).strip()[-500:]}")
    for verdict, stage, test, reason in verdicts:
        shown = f"{stage} {test}" if args.stage == "all" else test
        label = {"PASSED": "ok  ", "FAILED": "FAIL", "ERROR": "ERR "}[verdict]  # ERR: the test itself broke
        print(f"  {label}  {shown}" + (f"  {reason}" if reason else ""))
    passed = sum(v == "PASSED" for v, *_ in verdicts)
    who = "the engine's reference" if args.reference else "exercise.py"
    what = f"all stages ({who})" if args.stage == "all" else f"stage {args.stage} ({os.path.basename(target)}, {who})"
    print(f"{what}: {passed} of {len(verdicts)} tests passed")
    return 0 if passed == len(verdicts) else 1


def run_script(args: argparse.Namespace) -> int:
    from .run import main as run_main

    return run_main([args.script, *args.args])


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status. Whatever happens, the user sees one line,
    never a traceback: 1 for a mistake (or an unexpected error), 2 for a bad flag, 128 + the
    signal's number after SIGINT, SIGTERM or SIGHUP (130, 143, 129). ``run`` is the exception:
    the user's program gets Python's own warnings, signals and tracebacks."""
    if (sys.argv[1:] if argv is None else argv)[:1] == ["run"]:
        python_defaults()
        return run_script(build_parser().parse_args(argv))
    previous = raise_on_signals()
    try:
        with warnings.catch_warnings():
            # numpy's overflow and invalid-value warnings: a diverging run is reported instead
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.showwarning = _show_warning
            return _run(argv)
    except KeyboardInterrupt as e:  # a signal outside training (nothing to save), or while reporting
        signum = getattr(e, "signum", signal.SIGINT)
        _report(f"interrupted by {signal.Signals(signum).name}")
        return exit_status(signum)
    finally:
        restore(previous)


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as e:
        _report(f"error: {e}")
        return 1
    except TrainingInterrupted as e:
        _report(f"{e}; resume with: {PROG} train --model {args.model} --checkpoint {e.checkpoint} --resume")
        return exit_status(e.signum)
    except BrokenPipeError:  # the reader went away, as in `tinygrad-edu predict ... | head -1`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush can't fail again
        return 1
    except Exception as e:  # noqa: BLE001  (a bug: still one line, naming what went wrong)
        message = f": {str(e).splitlines()[0]}" if str(e).strip() else ""
        _report(f"error: unexpected {type(e).__name__}{message} (a bug in {PROG}; please report it)")
        return 1


def _report(line: str) -> None:
    try:
        print(f"{PROG}: {line}", file=sys.stderr, flush=True)
    except OSError:  # no terminal any more (SIGHUP)
        pass


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    _report(f"warning: {str(message).splitlines()[0] if str(message) else category.__name__}")
