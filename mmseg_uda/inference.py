"""Inference on image files with MMSeg's own inferencer and visualizer (``tools/infer.py``).

The model is a trained UDA model (its config and checkpoint: the segmentor inside
``UDASegmentor`` runs) or a plain MMSeg pair, e.g. one exported by
``tools/model_converters/uda_to_mmseg.py``. Both go through :func:`mmseg_uda.engine.export.
plain_config`, so inference here and in stock MMSeg sees the same model, pipeline and classes.
"""
import glob
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional

import mmcv
import numpy as np
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint
from PIL import Image

from mmseg.apis import MMSegInferencer
from mmseg.structures import SegDataSample
from .engine.export import dataset_meta, plain_config, segmentor_weights

#: File endings read as images when INPUT is a folder or a glob.
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def list_images(source: str) -> List[str]:
    """The images of ``source``: an image file, a folder (its images, sorted by name, e.g. the
    frames of a video) or a glob pattern (``'frames/*.jpg'``, ``'seq/**/*.png'``).

    Raises:
        FileNotFoundError: Naming ``source``, when it gives no image.
    """
    if osp.isdir(source):
        files = [osp.join(source, f) for f in sorted(os.listdir(source))]
    elif osp.isfile(source):
        files = [source]
    else:
        files = sorted(glob.glob(source, recursive=True))
    images = [f for f in files if osp.isfile(f) and f.lower().endswith(IMAGE_EXTENSIONS)]
    if not images:
        raise FileNotFoundError(
            f'INPUT {source!r} matches no image: give an image file, a folder of images or a '
            f'glob pattern, of files ending in {", ".join(IMAGE_EXTENSIONS)} (a video: extract '
            'its frames into a folder first, e.g. ffmpeg -i video.mp4 frames/%06d.png)')
    return images


def output_names(images: List[str]) -> List[str]:
    """The output file name of each image: its name with ``.png``.

    Raises:
        ValueError: Naming both images, when two would write the same file.
    """
    names: Dict[str, str] = {}
    for image in images:
        name = osp.splitext(osp.basename(image))[0] + '.png'
        if name in names:
            raise ValueError(f'{names[name]!r} and {image!r} would both be written as {name}; '
                             'give one folder at a time')
        names[name] = image
    return list(names)


def build_inferencer(config: str, checkpoint: str,
                     device: Optional[str] = None) -> MMSegInferencer:
    """``MMSegInferencer`` of the plain segmentor of ``config`` with the weights of ``checkpoint``.

    The inferencer is built from :func:`plain_config` without weights; the segmentor's weights
    (:func:`segmentor_weights`: a UDASegmentor or a plain checkpoint) are then loaded strictly
    and the classes and palette set from the config's test dataset (:func:`dataset_meta`), or
    from the checkpoint's ``meta.dataset_meta`` for a config without a test dataloader.

    Raises:
        ValueError: Naming the checkpoint and config, when the weights do not fit.
    """
    cfg = Config.fromfile(config)
    if 'test_dataloader' in cfg:
        plain, _ = plain_config(cfg)
        meta = dataset_meta(cfg)
    else:
        plain, meta = cfg, None
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    weights = segmentor_weights(ckpt.get('state_dict', ckpt), checkpoint)
    if meta is None:
        meta = ckpt.get('meta', {}).get('dataset_meta')
        if meta is None:
            raise KeyError(f'{config} has no test_dataloader and {checkpoint} no '
                           'meta.dataset_meta: the class names and palette are unknown')
    with warnings.catch_warnings():
        # "weights is None": the weights are loaded strictly below, the classes set after
        warnings.simplefilter('ignore')
        inferencer = MMSegInferencer(model=plain, weights=None, device=device)
    result = inferencer.model.load_state_dict(weights, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f'the segmentor weights of {checkpoint} do not fit the model of '
                         f'{config}: missing {result.missing_keys[:5]}, unexpected '
                         f'{result.unexpected_keys[:5]}')
    inferencer.show_progress = False  # one bar over all images: tools/infer.py's
    inferencer.model.dataset_meta = dict(classes=meta['classes'], palette=meta['palette'])
    inferencer.visualizer.set_dataset_meta(classes=meta['classes'], palette=meta['palette'])
    return inferencer


def predict(inferencer: MMSegInferencer, image: str) -> SegDataSample:
    """The inferencer's prediction for one image file (``pred_sem_seg`` at the image's size)."""
    return inferencer(image, return_datasamples=True)


def write_outputs(inferencer: MMSegInferencer, image: str, sample: SegDataSample, out_dir: str,
                  name: str, opacity: float = 0.5, with_labels: bool = False) -> None:
    """Write ``OUT/pred/NAME`` (class ids), ``OUT/mask/NAME`` (each pixel in its class's palette
    colour) and ``OUT/overlay/NAME`` (the mask blended over the image at ``opacity``, class
    names drawn with ``with_labels``), the last two through the inferencer's
    ``SegLocalVisualizer``."""
    labels = sample.pred_sem_seg.data[0].cpu().numpy()
    os.makedirs(osp.join(out_dir, 'pred'), exist_ok=True)
    Image.fromarray(labels.astype(np.uint8)).save(osp.join(out_dir, 'pred', name))
    rgb = mmcv.imread(image, channel_order='rgb')
    visualizer = inferencer.visualizer
    for folder, alpha, names in (('mask', 1.0, False), ('overlay', opacity, with_labels)):
        visualizer.alpha = alpha
        visualizer.add_datasample(name, rgb, sample, draw_gt=False, with_labels=names,
                                  out_file=osp.join(out_dir, folder, name))
