"""Pictures of UDA runs: label colouring, qualitative grids, per-class IoU bars, training curves.

The drawing functions here are what the tools under ``tools/analysis/`` call
(``qualitative_grid.py``, ``class_iou_bars.py``, ``training_curves.py``,
``browse_uda_dataset.py``), and what a benchmark script calls to draw the same pictures from
its own numbers. Label maps are coloured by MMSeg's :class:`SegLocalVisualizer` in the dataset's
palette; figures are drawn on matplotlib ``Figure`` s with the ``Agg`` canvas (no pyplot, so the
caller's matplotlib backend is left as it is) and written as PNG.

Not imported by ``import mmseg_uda`` (it pulls in matplotlib): import it where it is used.
"""
import glob
import json
import math
import os
import os.path as osp
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

#: Default panels of :func:`plot_training_curves`: (title, regular expression on log keys).
#: Log keys of :class:`~mmseg_uda.models.UDASegmentor` (``src`` and ``tgt`` are the domains'
#: :data:`mmseg_uda.domains.LOG_PREFIXES`): ``src.*`` source losses (the
#: segmentation losses, and e.g. the patch-cluster loss Ld), ``adv.*`` the generator-side
#: adversarial losses, ``tgt.<adaptation>.*`` other target losses (constrained MIL, pseudo
#: labels), ``disc.src.*`` / ``disc.tgt.*`` the discriminator losses, and the validation
#: metrics (``mIoU``) of the target validation set. The totals ``src.loss`` and ``tgt.loss``
#: are sums of the other keys and left out. Keys of a plain MMSeg run (``decode.loss_ce``,
#: ``aux.loss_ce``) fall into the first panel.
DEFAULT_PANELS: Tuple[Tuple[str, str], ...] = (
    ('segmentation (source) losses',
     r'^(?!(src|tgt)\.loss$)(src\.)?(?!adv\.|tgt\.|disc\.)[^.]+\.loss\w*$'),
    ('adversarial / target losses', r'^(adv\.|tgt\.[^.]+\.)\S*loss\w*$'),
    ('discriminator losses', r'^disc\.\S*loss\w*$'),
    ('target validation mIoU', r'^(\S+/)?mIoU$'),
)

#: Width in pixels given to one class of the legend of :func:`plot_image_grid`.
LEGEND_ENTRY_PX = 95


def new_figure(figsize: Tuple[float, float], dpi: int = 100) -> Figure:
    """A matplotlib figure on an ``Agg`` canvas, outside pyplot's figure manager."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, out_path: str, dpi: int = 100) -> None:
    """Write ``fig`` as an RGB PNG to ``out_path`` (folders created) and close it.

    RGB rather than matplotlib's RGBA (the figures are opaque), with PIL's ``optimize``: about
    15 % smaller files for pictures of photographs.
    """
    folder = osp.dirname(osp.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    fig.set_dpi(dpi)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    Image.fromarray(rgb).save(out_path, format='PNG', optimize=True)


def make_visualizer(classes: Sequence[str], palette: Sequence[Sequence[int]],
                    name: str = 'mmseg_uda_pictures') -> SegLocalVisualizer:
    """An MMSeg :class:`SegLocalVisualizer` without storage backends, for a dataset's classes.

    Args:
        classes: Class names, in label order.
        palette: One RGB colour per class (the dataset's ``metainfo['palette']``).
        name: Instance name (mmengine visualizers are named instances).

    Raises:
        ValueError: If ``classes`` and ``palette`` differ in length.
    """
    if len(classes) != len(palette):
        raise ValueError(f'{len(classes)} classes but a palette of {len(palette)} colours')
    visualizer = SegLocalVisualizer(name=name)
    visualizer.set_dataset_meta(classes=list(classes), palette=[list(c) for c in palette])
    return visualizer


def draw_label(visualizer: SegLocalVisualizer, image: np.ndarray,
               label: 'np.ndarray | torch.Tensor', alpha: float = 1.0,
               with_labels: bool = False) -> np.ndarray:
    """Draw a label map in the visualizer's palette over ``image`` (MMSeg's drawing).

    Args:
        visualizer: From :func:`make_visualizer`.
        image: ``(H, W, 3)`` uint8 RGB image.
        label: ``(H, W)`` or ``(1, H, W)`` class indices; values outside the classes (the
            ignore index) are not coloured.
        alpha: Opacity of the colours: 1.0 gives the plain colour mask (uncoloured pixels
            black), lower values an overlay on the image.
        with_labels: Write the class names on the mask (MMSeg's ``with_labels``).

    Returns:
        ndarray: ``(H, W, 3)`` uint8 RGB.

    Raises:
        ValueError: If the label map and the image differ in size.
    """
    label = torch.as_tensor(np.asarray(label)).long()
    if label.ndim == 2:
        label = label[None]
    if tuple(label.shape[-2:]) != tuple(image.shape[:2]):
        raise ValueError(f'label map of size {tuple(label.shape[-2:])} for an image of size '
                         f'{tuple(image.shape[:2])}')
    sample = SegDataSample(gt_sem_seg=PixelData(data=label))
    visualizer.alpha = alpha
    visualizer.add_datasample('label', image, sample, draw_gt=True, draw_pred=False,
                              with_labels=with_labels)
    return visualizer.get_image()


def plot_image_grid(rows: Sequence[Sequence[np.ndarray]], column_titles: Sequence[str],
                    out_path: str, row_titles: Optional[Sequence[str]] = None,
                    legend: Optional[Tuple[Sequence[str], Sequence[Sequence[int]]]] = None,
                    dpi: int = 100) -> None:
    """Images in a grid, one column per title, each tile at its native pixel size.

    The layout of Tsai et al. 2019's Figure 6 (target image | ground truth | one prediction
    per model), with the classes' colours as a legend below.

    Args:
        rows: Per row, one ``(H, W, 3)`` uint8 RGB image per column; all of one size.
        column_titles: One title per column.
        out_path: The PNG to write.
        row_titles: Optional text left of each row (e.g. the image's file name).
        legend: Optional ``(classes, palette)`` drawn as coloured patches under the grid.
        dpi: Pixels per inch of the figure (tiles keep their pixel size at any dpi).

    Raises:
        ValueError: On an empty grid, a row of another length than ``column_titles``, or
            images of different sizes.
    """
    if not rows:
        raise ValueError('plot_image_grid: no rows')
    shapes = {img.shape for row in rows for img in row}
    bad = [i for i, row in enumerate(rows) if len(row) != len(column_titles)]
    if bad:
        raise ValueError(f'plot_image_grid: row {bad[0]} has {len(rows[bad[0]])} images for '
                         f'{len(column_titles)} columns')
    if len(shapes) != 1:
        raise ValueError(f'plot_image_grid: images of different sizes {sorted(shapes)}')
    h, w = next(iter(shapes))[:2]
    n_rows, n_cols = len(rows), len(column_titles)
    gap, top, left = 4, 22, (16 if row_titles else 4)
    width = left + n_cols * w + (n_cols - 1) * gap + 4
    legend_cols = max(1, min(len(legend[0]), width // LEGEND_ENTRY_PX)) if legend else 0
    bottom = 10 + 16 * math.ceil(len(legend[0]) / legend_cols) if legend else 4
    height = top + n_rows * h + (n_rows - 1) * gap + bottom
    fig = new_figure((width / dpi, height / dpi), dpi)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            x0 = (left + c * (w + gap)) / width
            y0 = 1 - (top + r * (h + gap) + h) / height
            ax = fig.add_axes((x0, y0, w / width, h / height))
            ax.imshow(img, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(column_titles[c], fontsize=9, pad=3)
            if c == 0 and row_titles:
                ax.set_ylabel(row_titles[r], fontsize=6, labelpad=2)
    if legend:
        classes, palette = legend
        handles = [Patch(facecolor=np.asarray(colour) / 255., edgecolor='black', linewidth=0.3,
                         label=name) for name, colour in zip(classes, palette)]
        fig.legend(handles=handles, loc='lower center', ncol=legend_cols,
                   fontsize=7, frameon=False, handlelength=1.2, columnspacing=0.8,
                   bbox_to_anchor=(0.5, 0.0))
    save_figure(fig, out_path, dpi=dpi)


def plot_class_iou(series: Mapping[str, Sequence[float]], class_names: Sequence[str],
                   out_path: str, title: Optional[str] = None,
                   errors: Optional[Mapping[str, Sequence[float]]] = None) -> None:
    """Per-class IoU bars of several models side by side, one colour per model.

    Args:
        series: Per model name, the IoU (in percent) of every class of ``class_names``, in that
            order; ``nan`` for a class with neither ground truth nor prediction (no bar).
        class_names: The classes, the x axis.
        out_path: The PNG to write.
        title: Figure title.
        errors: Optional per model name, an error bar per class (e.g. the std over seeds
            when ``series`` holds means); models absent from it get no error bars.

    Raises:
        ValueError: On no series, or a series or error list of another length than
            ``class_names``, or errors for a model that is not in ``series``.
    """
    if not series:
        raise ValueError('plot_class_iou: no series')
    errors = dict(errors or {})
    for kind, values in (('series', series), ('errors', errors)):
        for name, v in values.items():
            if len(v) != len(class_names):
                raise ValueError(f'plot_class_iou: {kind} {name!r} has {len(v)} values for '
                                 f'{len(class_names)} classes')
    unknown = sorted(set(errors) - set(series))
    if unknown:
        raise ValueError(f'plot_class_iou: errors for {unknown}, which are not in series')
    n = len(series)
    x = np.arange(len(class_names) + 1)  # the classes, then the mean
    width = 0.8 / n
    fig = new_figure((max(6.0, 0.6 * len(x) * max(1, n / 2)), 3.6))
    ax = fig.subplots()
    for i, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else float('nan')
        heights = np.r_[values, mean]
        err = None
        if name in errors:
            err = np.r_[np.asarray(errors[name], dtype=float), np.nan]
        ax.bar(x - 0.4 + width * (i + 0.5), np.nan_to_num(heights, nan=0.0), width,
               yerr=err, capsize=1.5, label=f'{name} (mIoU {mean:.1f})',
               error_kw=dict(elinewidth=0.6))
    ax.set_xticks(x)
    ax.set_xticklabels(list(class_names) + ['mean'], rotation=35, ha='right', fontsize=8)
    ax.set_ylabel('IoU (%)')
    ax.set_ylim(0, 100)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7, loc='upper right')
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, out_path)


def scalars_files(path: str) -> List[str]:
    """The ``scalars.json`` files of a path: the file itself, a run's or a work dir's.

    A work dir holds one ``<timestamp>/vis_data/scalars.json`` per start (a resumed run has
    several); they are returned in timestamp order. A ``<timestamp>`` folder gives its own.

    Raises:
        FileNotFoundError: Naming ``path`` when it is neither a file nor a folder holding
            ``vis_data/scalars.json`` or ``*/vis_data/scalars.json``.
    """
    if osp.isfile(path):
        return [path]
    own = osp.join(path, 'vis_data', 'scalars.json')
    files = [own] if osp.isfile(own) else sorted(
        glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'{path}: not a scalars.json file nor a work dir with '
                                '<timestamp>/vis_data/scalars.json (mmengine\'s JSON log)')
    return files


def read_scalars(path: str) -> List[dict]:
    """The records of mmengine's JSON scalar logs under ``path``, training runs only.

    One JSON object per line (``LocalVisBackend``'s ``scalars.json``); records without a
    ``step`` are skipped. Files with no training record (``iter`` key), as a test run's, are
    left out when ``path`` is a work dir.

    Raises:
        ValueError: Naming the file and line of a line that is not JSON.
        FileNotFoundError: See :func:`scalars_files`.
    """
    records: List[dict] = []
    files = scalars_files(path)
    for file in files:
        part = []
        with open(file) as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f'{file}, line {i}: not JSON ({e})') from None
                if isinstance(record, dict) and 'step' in record:
                    part.append(record)
        if len(files) == 1 or any('iter' in r for r in part):
            records.extend(part)
    return records


def chain_runs(parts: Sequence[List[dict]]) -> List[dict]:
    """Concatenate the logs of runs that continue each other into one curve.

    A run started from another's checkpoint with ``load_from`` (e.g. an adaptation after a
    shared source-only warm-up, :func:`mmseg_uda.utils.continuation_options`) counts its
    iterations from 0 again; its steps are shifted to follow the previous part's last step
    when they restart (first step not after that last step).
    """
    chained: List[dict] = []
    for part in parts:
        if not part:
            continue
        offset = 0
        if chained and part[0]['step'] <= chained[-1]['step']:
            offset = chained[-1]['step']
        chained.extend(dict(r, step=r['step'] + offset) for r in part)
    return chained


def plot_training_curves(runs: Mapping[str, List[dict]], out_path: str,
                         panels: Sequence[Tuple[str, str]] = DEFAULT_PANELS,
                         title: Optional[str] = None) -> Dict[str, List[str]]:
    """Loss and metric curves of one or several training runs, overlaid panel by panel.

    Each panel draws every log key matching its regular expression against ``step``; one
    colour per run, one line style per key (a single run: one colour per key). Panels that
    match no key of any run are left out.

    Args:
        runs: Per run name, its records (:func:`read_scalars`).
        out_path: The PNG to write.
        panels: ``(title, regex)`` per panel (default :data:`DEFAULT_PANELS`).
        title: Figure title.

    Returns:
        dict: The keys drawn, per panel title.

    Raises:
        ValueError: If there is no run, a regex does not compile, or no panel matches any key
            (naming the keys the logs have).
    """
    if not runs:
        raise ValueError('plot_training_curves: no runs')
    compiled = []
    for name, pattern in panels:
        try:
            compiled.append((name, re.compile(pattern)))
        except re.error as e:
            raise ValueError(f'panel {name!r}: bad regular expression {pattern!r} ({e})') from None
    all_keys = sorted({k for records in runs.values() for r in records for k in r})
    drawn = {name: [k for k in all_keys if rx.search(k)] for name, rx in compiled}
    drawn = {name: keys for name, keys in drawn.items() if keys}
    if not drawn:
        raise ValueError(f'no panel matches a log key; the logs have {all_keys}')
    fig = new_figure((4.2 * len(drawn), 3.4))
    axes = fig.subplots(1, len(drawn), squeeze=False)
    colours = matplotlib.rcParams['axes.prop_cycle'].by_key()['color']
    styles = ['-', '--', ':', '-.']
    for ax, (panel, keys) in zip(axes[0], drawn.items()):
        for r, (run, records) in enumerate(runs.items()):
            for k, key in enumerate(keys):
                points = [(rec['step'], rec[key]) for rec in records if key in rec]
                if not points:
                    continue
                steps, values = zip(*points)
                single = len(runs) == 1
                label = key if single else (f'{run}: {key}' if len(keys) > 1 else run)
                ax.plot(steps, values, styles[0 if single else k % len(styles)],
                        color=colours[(k if single else r) % len(colours)],
                        marker='o' if len(points) < 12 else None, markersize=3,
                        linewidth=1.2, label=label)
        ax.set_title(panel, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, out_path)
    return drawn
