"""Write class-balanced pseudo labels (CBST) for the target training set from a checkpoint.

    python tools/generate_pseudo_labels.py CONFIG CHECKPOINT --out DIR [--portion 0.2] \
        [--stride 4] [--device cpu] [--num-workers 2] [--cfg-options k=v ...]

Zou, Yu, Kumar, Wang, "Unsupervised Domain Adaptation for Semantic Segmentation via
Class-Balanced Self-Training", ECCV 2018 (public code github.com/yzou2/CBST,
``issegm/solve_ST.py``). The model of CONFIG, with the weights of CHECKPOINT (a UDA or a plain
segmentor checkpoint), predicts every image of the config's target training set
(``train_dataloader.dataset.target``, or the top-level ``target_train`` of a source-only config)
through the config's evaluation pipeline
(``val_dataloader.dataset.pipeline`` without its label loading); the probabilities are taken at
the image's full resolution. Two passes over the set:

1. for each class c, the maximum probabilities of the pixels predicted as c (every
   ``--stride``-th per image, 4 in CBST) give the threshold at portion p: the value at rank
   ``floor(N_c * p)`` from the top (:class:`mmseg_uda.pseudo_labels.ClassConfidences`);
2. each image is predicted again and labelled with the arg-max of its probabilities divided by
   the class thresholds, pixels whose reweighted maximum is below 1 set to 255
   (:func:`mmseg_uda.pseudo_labels.assign_pseudo_labels`), one PNG per image in DIR at the
   image's path relative to its image folder.

DIR must be new (or empty): each round writes its own folder. It also gets ``pseudo_labels.json``
(classes, portion, thresholds, per-class counts, config, checkpoint), which
``UDADataset(target_pseudo_labels=DIR)`` checks against the target set. A summary table (per
class: threshold, pixels predicted, pixels kept) is printed. Rounds chain: train a re-training
config (``configs/self_training/*cbst*.py``) on DIR, then run this tool with that config and its
checkpoint into a new folder (CBST raises p by 0.05 per round from its initial value, up to 0.5).

What differs from CBST: no test-time flipping or multi-scale input, no spatial prior (its
CBST-SP variant), and no small-class patch mining or source-image selection in re-training.
"""
import argparse
import copy
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.utils import ProgressBar
from PIL import Image

import mmseg_uda  # noqa: F401  (registers mmseg_uda's datasets and models)
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from mmseg_uda.engine.adabn import AdaBNHook
from mmseg_uda.engine.export import segmentor_weights
from mmseg_uda.engine.strict_load import checkpoint_mismatches
from mmseg_uda.pseudo_labels import (MANIFEST, ClassConfidences, assign_pseudo_labels,
                                     pseudo_label_path, summary_rows, summary_table,
                                     write_manifest)
from mmseg_uda.utils import drop_pretrained, load_tool_config, segmentor_cfg, segmentor_key


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Class-balanced pseudo labels (CBST) of the target training set')
    parser.add_argument('config', help='config whose model and target training set are used')
    parser.add_argument('checkpoint', help='checkpoint of that model (UDA or plain segmentor)')
    parser.add_argument('--out', required=True, help='new folder for the pseudo-label PNGs')
    parser.add_argument('--portion', type=float, default=0.2,
                        help='portion p of the pixels predicted as each class that are kept '
                        '(CBST starts at 0.2 and adds 0.05 per round)')
    parser.add_argument('--stride', type=int, default=4,
                        help='keep every n-th confidence per class and image for the '
                        'thresholds (CBST: 4; 1 keeps all)')
    parser.add_argument('--device', default='cpu', help='device of the model, e.g. cuda:0')
    parser.add_argument('--num-workers', type=int, default=2, help='dataloader workers')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    args = parser.parse_args(argv)
    if not 0.0 < args.portion <= 1.0:
        raise ValueError(f'--portion must be in (0, 1], got {args.portion}')
    if args.stride < 1:
        raise ValueError(f'--stride must be >= 1, got {args.stride}')
    if args.num_workers < 0:
        raise ValueError(f'--num-workers must be >= 0, got {args.num_workers}')
    return args


def loads_labels(transform: dict) -> bool:
    """Whether a pipeline step config loads segmentation labels (MMCV's ``LoadAnnotations``
    or a subclass, e.g. ``LoadCheckedAnnotations``)."""
    kind = transform.get('type')
    kind = TRANSFORMS.get(kind) if isinstance(kind, str) else kind
    return isinstance(kind, type) and issubclass(kind, MMCVLoadAnnotations)


def target_dataset_cfg(cfg: Config) -> dict:
    """The target training set of ``cfg`` with the evaluation pipeline minus label loading.

    The target set is the one AdaBN adapts to (``AdaBNHook.resolve_dataset``): the
    ``UDADataset`` target of ``train_dataloader``, else the config's top-level ``target_train``,
    so that a source-only config and checkpoint can start the first round.
    """
    target = dict(AdaBNHook().resolve_dataset(cfg))
    pipeline = [dict(t) for t in cfg.val_dataloader.dataset.pipeline if not loads_labels(t)]
    prefix = dict(target.get('data_prefix') or {})
    prefix.pop('seg_map_path', None)  # the target's own labels are never read
    return dict(target, data_prefix=prefix, pipeline=pipeline)


def classifier_num_classes(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor],
                           num_classes: int) -> Optional[Tuple[str, int]]:
    """A decode-head tensor whose first dimension is the class count in the plain segmentor
    ``model`` but not in ``state_dict`` (keyed as ``model``): ``(key, classes in the
    checkpoint)``, or None when they agree."""
    for key, value in model.state_dict().items():
        if key.startswith('decode_head.') and value.ndim >= 1 and value.shape[0] == num_classes \
                and key in state_dict and state_dict[key].shape[0] != num_classes:
            return key, int(state_dict[key].shape[0])
    return None


def build_segmentor(cfg: Config) -> torch.nn.Module:
    """The config's plain MMSeg segmentor (a UDA config's ``model.segmentor``, a plain one's
    ``model``): only inference is needed, so no adaptation is built and no modes or statistics
    file has to exist. Pretrained weights are not loaded (the checkpoint provides every
    weight); the data preprocessor is chosen as ``UDASegmentor`` and mmengine's Runner choose
    it (the segmentor's, else ``model.data_preprocessor``, else the top-level one)."""
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)
    seg_cfg = segmentor_cfg(model_cfg)
    if seg_cfg.get('data_preprocessor') is None:
        seg_cfg['data_preprocessor'] = model_cfg.get('data_preprocessor',
                                                     cfg.get('data_preprocessor'))
    return MODELS.build(seg_cfg)


def load_weights(model: torch.nn.Module, checkpoint: str, num_classes: int, config: str,
                 key: str) -> None:
    """Load ``checkpoint`` (a UDA or a plain segmentor one, :func:`segmentor_weights`) into the
    plain segmentor ``model``; errors name both class counts or the keys.

    Args:
        model: The plain segmentor of :func:`build_segmentor`.
        checkpoint: The checkpoint path.
        num_classes: The config's class count.
        config: The config path (named by the errors).
        key: Where the config keeps the segmentor (``mmseg_uda.utils.segmentor_key``).
    """
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    state_dict = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    state_dict = segmentor_weights(state_dict, checkpoint)
    other = classifier_num_classes(model, state_dict, num_classes)
    if other is not None:
        name, count = other
        raise ValueError(f'checkpoint {checkpoint!r} is for {count} classes ({name}: '
                         f'{tuple(state_dict[name].shape)}) but {config} has {num_classes} '
                         f'({key}.decode_head.num_classes)')
    missing, shapes, _ = checkpoint_mismatches(model, state_dict)
    if missing or shapes:
        raise ValueError(f'checkpoint {checkpoint!r} does not fit the model of {config}: '
                         f'missing {missing[:5]}, other shapes {shapes[:5]}')
    model.load_state_dict(state_dict, strict=False)


def predictions(model: torch.nn.Module, dataset, num_workers: int,
                bar_title: str) -> Iterator[Tuple[str, np.ndarray]]:
    """Image path and class probabilities (C, H, W) of every image of ``dataset``, in order,
    with a progress bar."""
    loader = Runner.build_dataloader(dict(
        dataset=dataset, batch_size=1, num_workers=num_workers,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='pseudo_collate')))
    print(bar_title)
    bar = ProgressBar(len(dataset))
    with torch.no_grad():
        for batch in loader:
            sample = model.test_step(batch)[0]
            yield sample.img_path, F.softmax(sample.seg_logits.data.float(), dim=0).cpu().numpy()
            bar.update()
    print()


def check_out_dir(out: str) -> None:
    """The output folder must not hold files yet: each round writes a folder of its own."""
    if osp.isdir(out) and any(files for _, _, files in os.walk(out)):
        raise FileExistsError(f'--out {out!r} already holds files; write each round of pseudo '
                              'labels into a new folder')


def main(argv: Optional[List[str]] = None) -> dict:
    """Write the pseudo labels and the manifest; return the manifest."""
    args = parse_args(argv)
    check_out_dir(args.out)
    cfg = load_tool_config(args.config, args.cfg_options)

    dataset = DATASETS.build(target_dataset_cfg(cfg))
    classes = [str(c) for c in dataset.metainfo['classes']]
    model = build_segmentor(cfg)
    num_classes = model.decode_head.num_classes
    key = segmentor_key(cfg.model)
    if num_classes != len(classes):
        raise ValueError(f'{args.config}: {key}.decode_head.num_classes={num_classes} '
                         f'but the target set {type(dataset).__name__} has {len(classes)} '
                         f'classes {classes}')
    load_weights(model, args.checkpoint, num_classes, args.config, key)
    model.to(args.device).eval()
    print(f'target set: {type(dataset).__name__} {dataset.data_prefix.get("img_path")!r}, '
          f'{len(dataset)} images, {num_classes} classes; portion {args.portion}')

    confidences = ClassConfidences(num_classes, args.stride)
    for _, probs in predictions(model, dataset, args.num_workers,
                                'pass 1/2: class-wise confidences'):
        confidences.update(probs)
    thresholds = confidences.thresholds(args.portion)

    kept = np.zeros(num_classes, dtype=np.int64)
    ignored = 0
    img_dir = dataset.data_prefix['img_path']
    for img_path, probs in predictions(model, dataset, args.num_workers,
                                       'pass 2/2: pseudo labels'):
        labels = assign_pseudo_labels(probs, thresholds, dataset.ignore_index)
        path = pseudo_label_path(args.out, img_path, img_dir, dataset.img_suffix)
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(labels).save(path)
        kept += np.bincount(labels[labels != dataset.ignore_index].ravel(),
                            minlength=num_classes)[:num_classes]
        ignored += int((labels == dataset.ignore_index).sum())

    rows = summary_rows(classes, thresholds, confidences.predicted, kept)
    manifest = dict(classes=classes, portion=args.portion, stride=args.stride,
                    thresholds=[float(t) for t in thresholds], per_class=rows,
                    ignored_pixels=ignored, num_images=len(dataset), config=args.config,
                    checkpoint=args.checkpoint, img_dir=img_dir)
    write_manifest(args.out, manifest)
    print(summary_table(rows, ignored))
    print(f'wrote {len(dataset)} pseudo labels and {MANIFEST} to {osp.abspath(args.out)}; '
          f'train on them with train_dataloader.dataset.target_pseudo_labels={args.out}')
    return manifest


if __name__ == '__main__':
    main()
