"""Evaluate trained checkpoints the way ``tools/test.py`` does, for the analysis tools.

:func:`build_test_runner` builds mmengine's runner from a config and loads a checkpoint into it
with :func:`~mmseg_uda.engine.load_checkpoint_for_testing` (the strict loading of
``tools/test.py``); :func:`evaluate_class_iou` runs the config's test loop with the registered
:class:`~mmseg_uda.evaluation.ClassIoUMetric`, so the numbers are those of ``tools/test.py``
with ``--cfg-options test_evaluator.type=ClassIoUMetric``.
"""
import argparse
import copy
import json
import os.path as osp
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmseg.registry import RUNNERS
from .engine import load_checkpoint_for_testing

#: Evaluators that :func:`class_iou_evaluator` turns into ``ClassIoUMetric``.
IOU_METRICS = ('IoUMetric', 'ClassIoUMetric')


def add_test_runner_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir`` and ``--cfg-options`` of the tools that test with several configs."""
    parser.add_argument('--work-dir', default=None,
                        help='work dir of the test runners (default: a temporary folder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides applied to every config, as in tools/test.py')


def parse_named_spec(spec: str) -> Tuple[str, List[str]]:
    """``NAME=A[,B...]`` of a command line into ``(NAME, [A, B, ...])``.

    Raises:
        ValueError: Naming ``spec`` when it has no ``=``, an empty name or an empty part.
    """
    name, sep, rest = spec.partition('=')
    parts = rest.split(',')
    if not sep or not name.strip() or not all(p.strip() for p in parts):
        raise ValueError(f'{spec!r}: expected NAME=SOURCE[,SOURCE...]')
    return name.strip(), [p.strip() for p in parts]


def file_stem(name: str) -> str:
    """``name`` (a run or model name of a command line) as a file-name stem."""
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', name)


def split_config_checkpoint(source: str) -> Tuple[str, str]:
    """``CONFIG:CHECKPOINT`` into its two paths.

    Raises:
        ValueError: Naming ``source`` when it is not of that form.
        FileNotFoundError: Naming the config or checkpoint file that does not exist.
    """
    config, sep, checkpoint = source.partition(':')
    if not sep or not config or not checkpoint:
        raise ValueError(f'{source!r}: expected CONFIG:CHECKPOINT')
    for kind, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{source!r}: {kind} file {path} does not exist')
    return config, checkpoint


def class_iou_evaluator(evaluator: object, config: str) -> dict:
    """The config's test evaluator as ``ClassIoUMetric`` with the same arguments.

    Raises:
        ValueError: Naming ``config`` when the evaluator is not one ``IoUMetric``.
    """
    if isinstance(evaluator, (list, tuple)) and len(evaluator) == 1:
        evaluator = evaluator[0]
    if not isinstance(evaluator, dict) or evaluator.get('type') not in IOU_METRICS:
        raise ValueError(f'{config}: test_evaluator must be one IoUMetric to report per-class '
                         f'IoU, got {evaluator!r}')
    return dict(copy.deepcopy(evaluator), type='ClassIoUMetric')


def build_test_runner(config: str, checkpoint: str, work_dir: str,
                      cfg_options: Optional[dict] = None,
                      class_iou: bool = False) -> Runner:
    """mmengine's runner for testing ``checkpoint`` with ``config``, the checkpoint loaded.

    Args:
        config: Config file (a UDA config or a plain MMSeg one).
        checkpoint: Checkpoint file; loaded strictly (see ``load_checkpoint_for_testing``).
        work_dir: The runner's work dir (its log and config dump go there).
        cfg_options: Overrides merged into the config, as ``--cfg-options``.
        class_iou: Evaluate with ``ClassIoUMetric`` (see :func:`class_iou_evaluator`).

    Returns:
        Runner: Built, with the checkpoint loaded into ``runner.model``.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    cfg.load_from = None
    cfg.launcher = 'none'
    if class_iou:
        cfg.test_evaluator = class_iou_evaluator(cfg.get('test_evaluator'), config)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    load_checkpoint_for_testing(runner, checkpoint)
    return runner


def evaluate_class_iou(config: str, checkpoint: str, work_dir: str,
                       cfg_options: Optional[dict] = None) -> Dict[str, float]:
    """Test ``checkpoint`` on the config's test set; the means and every ``IoU.<class>``.

    Returns:
        dict: ``runner.test()``'s metrics (``aAcc``, ``mIoU``, ``mAcc``, ``IoU.<class>``).
    """
    runner = build_test_runner(config, checkpoint, work_dir, cfg_options, class_iou=True)
    return dict(runner.test())


def read_metrics(path: str) -> Dict[str, float]:
    """Metrics from a JSON file (``tools/test.py``'s ``<timestamp>.json`` or this tool's).

    Raises:
        ValueError: Naming ``path`` when it holds no JSON object.
    """
    with open(path) as f:
        try:
            metrics = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not a JSON file ({e})') from None
    if not isinstance(metrics, dict):
        raise ValueError(f'{path}: expected a JSON object of metrics, got {type(metrics).__name__}')
    return metrics


def class_iou_values(metrics: Mapping[str, float], class_names: Sequence[str],
                     source: str) -> List[float]:
    """The ``IoU.<class>`` values of ``metrics`` in the order of ``class_names``.

    Raises:
        KeyError: Naming ``source`` and the first missing ``IoU.<class>`` key (e.g. a result
            of MMSeg's ``IoUMetric``, which returns only the means).
    """
    missing = [c for c in class_names if f'IoU.{c}' not in metrics]
    if missing:
        raise KeyError(f'{source}: no IoU.{missing[0]} among its metrics {sorted(metrics)}; '
                       'evaluate with ClassIoUMetric (tools/test.py --cfg-options '
                       'test_evaluator.type=ClassIoUMetric)')
    return [float(metrics[f'IoU.{c}']) for c in class_names]
