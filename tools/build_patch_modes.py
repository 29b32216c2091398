"""Build the patch-modes file of patch-level alignment (Tsai et al., ICCV 2019, Sec. 3.2).

    python tools/build_patch_modes.py CONFIG --out work_dirs/patch_modes/NAME.pth \
        [--patch-size 32] [--k 50] [--max-patches N] [--batch-size 8] [--num-workers 2] \
        [--seed 0] [--full-pipeline] [--cfg-options k=v ...]

Reads the SOURCE training set's label maps of CONFIG through
:class:`mmseg_uda.source_labels.SourceLabelMaps` (``train_dataloader.dataset.source`` of a
``UDADataset``, else ``train_dataloader.dataset``): the label path of its pipeline, i.e. the
label loading and the geometric transforms of training (resize, crop, flip) without decoding the
images, so the patches have the geometry they have in training; ``--full-pipeline`` runs the
whole pipeline, images decoded, for the same label maps (slower; for transforms the label path
does not know). The images are visited in an order shuffled with ``--seed``, which also seeds
the dataloader workers' random transforms. Every label
map is described by :func:`mmseg_uda.patch_modes.patch_histograms` (the function training uses
for Γ(Ys)); the descriptors of the valid (not all-ignore) patches are streamed into
scikit-learn's ``MiniBatchKMeans(n_clusters=K, random_state=seed).partial_fit``, one call per
batch, so memory stays bounded whatever the dataset size. The centres are written with
:func:`mmseg_uda.patch_modes.save_patch_modes`.

Patch size, grid, K and ignore index are the config's ``PatchAlignment`` adaptation's
(:meth:`PatchAlignment.geometry_of`: its values, else the module's defaults; ``--patch-size`` /
``--k`` override them, e.g. for configs without one). The summary reports the
number of patches, the mode sizes (min/median/max) and the inertia; both are streaming figures:
each batch is counted against the centres right after its own ``partial_fit`` update.
"""
import argparse
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict, DictAction
from sklearn.cluster import MiniBatchKMeans

import mmseg_uda  # noqa: F401  (registers mmseg_uda's datasets and models)
from mmseg_uda.patch_modes import patch_histograms, save_patch_modes, to_pair
from mmseg_uda.models.adaptation import PatchAlignment
from mmseg_uda.source_labels import SourceLabelMaps
from mmseg_uda.utils import load_tool_config

#: The first K-means batch (initialisation) holds at least this many patches per mode.
INIT_PATCHES_PER_MODE = 10


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Build the patch-modes file (K-means over '
                                     'source label-map patch histograms)')
    parser.add_argument('config', help='config whose source training set provides the labels')
    parser.add_argument('--out', required=True, help='output modes file (.pth)')
    parser.add_argument('--patch-size', type=int, nargs='+',
                        help='patch size (h w, or one value for both); default: the config\'s '
                        'PatchAlignment patch_size')
    parser.add_argument('--k', type=int, help='number of modes; default: the config\'s '
                        'PatchAlignment num_modes, else 50')
    parser.add_argument('--max-patches', type=int,
                        help='stop after this many valid patches (default: the whole dataset)')
    parser.add_argument('--batch-size', type=int, default=8, help='label maps per K-means batch')
    parser.add_argument('--num-workers', type=int, default=2, help='dataloader workers')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the K-means and of the shuffled image order')
    parser.add_argument('--full-pipeline', action='store_true',
                        help='decode the images and run the dataset\'s whole pipeline instead of '
                        'its label path (same label maps, slower)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    args = parser.parse_args(argv)
    for name in ('k', 'max_patches', 'batch_size'):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 1, got {value}')
    if args.num_workers < 0:
        raise ValueError(f'--num-workers must be >= 0, got {args.num_workers}')
    return args


def patch_alignment_cfg(cfg: Config) -> Optional[ConfigDict]:
    """The config's ``PatchAlignment`` adaptation, None when it has none.

    Raises:
        ValueError: when several PatchAlignment adaptations disagree on the patch geometry.
    """
    adaptations = cfg.model.get('adaptations') or {}
    found = [(name, ad) for name, ad in adaptations.items()
             if isinstance(ad, dict) and ad.get('type') == 'PatchAlignment']
    geometry = {tuple(PatchAlignment.geometry_of(ad)[key]
                      for key in ('patch_size', 'grid', 'num_modes')) for _, ad in found}
    if len(geometry) > 1:
        raise ValueError('model.adaptations has several PatchAlignment entries with different '
                         f'patch_size/grid/num_modes: {[name for name, _ in found]}')
    return found[0][1] if found else None


def descriptors(labels: List[torch.Tensor], patch_size: Tuple[int, int], num_classes: int,
                ignore_index: int, grid: Tuple[int, int]) -> np.ndarray:
    """Descriptors (n, D) float32 of the valid patches of label maps of any sizes."""
    rows = []
    for label in labels:
        hist, valid = patch_histograms(label, patch_size, num_classes, ignore_index, grid)
        rows.append(hist[valid])
    return torch.cat(rows).numpy()


def fit_modes(batches: Iterable[List[torch.Tensor]], k: int, patch_size: Tuple[int, int],
              num_classes: int, ignore_index: int, grid: Tuple[int, int], seed: int,
              max_patches: Optional[int] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Mini-batch K-means over the streamed patch descriptors.

    The first ``partial_fit`` (k-means++ initialisation) gets at least ``INIT_PATCHES_PER_MODE *
    K`` descriptors (or all of them when the data have fewer), buffered over batches; afterwards
    each batch is fitted as it arrives and dropped, so memory does not grow with the dataset.

    Returns:
        tuple[ndarray, dict]: The centres (K, D) and the summary: ``patches`` (valid patches
        used), ``images``, ``sizes`` (patches per mode) and ``inertia`` (streaming: each batch
        against the centres after its own update).

    Raises:
        ValueError: when the data hold fewer valid patches than K.
    """
    kmeans = MiniBatchKMeans(n_clusters=k, random_state=seed)
    sizes = np.zeros(k, dtype=np.int64)
    inertia, patches, images = 0.0, 0, 0
    pending: List[np.ndarray] = []
    pending_rows = 0

    def fit() -> None:
        nonlocal inertia, patches, pending, pending_rows
        kmeans.partial_fit(np.concatenate(pending))
        sizes[:] += np.bincount(kmeans.labels_, minlength=k)
        inertia += float(kmeans.inertia_)
        patches += pending_rows
        pending, pending_rows = [], 0

    for labels in batches:
        images += len(labels)
        feats = descriptors(labels, patch_size, num_classes, ignore_index, grid)
        if max_patches is not None:
            feats = feats[:max_patches - patches - pending_rows]
        pending.append(feats)
        pending_rows += len(feats)
        fitted = hasattr(kmeans, 'cluster_centers_')
        if pending_rows and (fitted or pending_rows >= INIT_PATCHES_PER_MODE * k):
            fit()
        if max_patches is not None and patches + pending_rows >= max_patches:
            break
    if pending_rows >= k:  # fewer than INIT_PATCHES_PER_MODE * K patches in all
        fit()
    if not hasattr(kmeans, 'cluster_centers_'):
        raise ValueError(f'K={k} modes need at least {k} valid patches, but the source dataset '
                         f'({images} label maps) gave {pending_rows}')
    summary = dict(patches=patches, images=images, sizes=sizes, inertia=inertia)
    return kmeans.cluster_centers_.astype(np.float32), summary


def main(argv: Optional[List[str]] = None) -> None:
    """Build the source dataset, fit the modes, save them and print the summary."""
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)

    adaptation = dict(patch_alignment_cfg(cfg) or {})
    if args.patch_size is not None:
        adaptation['patch_size'] = to_pair(args.patch_size[0] if len(args.patch_size) == 1
                                           else args.patch_size, '--patch-size')
    elif not adaptation:
        raise ValueError(f'{args.config} has no PatchAlignment adaptation in model.adaptations: '
                         'give --patch-size')
    if args.k is not None:
        adaptation['num_modes'] = args.k
    # the configured values, PatchAlignment's defaults for the rest
    geometry = PatchAlignment.geometry_of(adaptation)
    patch_size, grid = geometry['patch_size'], geometry['grid']
    k, ignore_index = geometry['num_modes'], geometry['ignore_index']
    num_classes = cfg.model.segmentor.decode_head.num_classes

    source = SourceLabelMaps(cfg, args.batch_size, args.num_workers, shuffle=True,
                             seed=args.seed, full_pipeline=args.full_pipeline)
    classes = list(source.classes)
    if len(classes) != num_classes:
        raise ValueError(f'model.segmentor.decode_head.num_classes={num_classes} but the source '
                         f'dataset {source.dataset_cfg.type} has {len(classes)} classes')
    print(f'source dataset: {source.dataset_cfg.type} at {source.dataset_cfg.get("data_root")}, '
          f'{len(source)} label maps; patch_size {patch_size}, grid {grid}, K {k}, '
          f'{num_classes} classes')
    modes, summary = fit_modes(source.batches(), k, patch_size, num_classes, ignore_index, grid,
                               args.seed, args.max_patches)

    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    save_patch_modes(args.out, torch.from_numpy(modes), classes, patch_size, grid,
                     dataset=source.description,
                     seed=args.seed)
    sizes = summary['sizes']
    print(f'patches: {summary["patches"]} from {summary["images"]} label maps')
    print(f'mode sizes (patches): min {sizes.min()}, median {int(np.median(sizes))}, '
          f'max {sizes.max()}; empty modes: {int((sizes == 0).sum())}')
    print(f'inertia (streaming): {summary["inertia"]:.4f}, '
          f'{summary["inertia"] / summary["patches"]:.6f} per patch')
    print(f'saved {k} modes to {args.out}')


if __name__ == '__main__':
    main()
