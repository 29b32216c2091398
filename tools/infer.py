"""Segment images with a trained model; write colour masks and overlays.

    python tools/infer.py CONFIG CHECKPOINT INPUT --out DIR [--device cpu] [--opacity 0.5]
        [--with-labels]

CONFIG and CHECKPOINT: a UDA config with its checkpoint (the segmentor inside ``UDASegmentor``
runs; discriminators and adaptation heads are not used) or a plain MMSeg pair, e.g. one exported
by ``tools/model_converters/uda_to_mmseg.py``. INPUT: an image file, a folder of images (e.g. a
video's frames) or a glob pattern (quoted: ``'data/seq/*.png'``). For each image NAME, DIR gets
``pred/NAME.png`` (class ids), ``mask/NAME.png`` (each pixel in its class's palette colour) and
``overlay/NAME.png`` (the mask over the image), drawn by MMSeg's ``SegLocalVisualizer``; the model
runs through ``MMSegInferencer``. See :mod:`mmseg_uda.inference`.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmseg_uda  # noqa: F401,E402  (registers mmseg_uda's components)
from mmengine.utils import ProgressBar  # noqa: E402

from mmseg_uda.engine import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.inference import (build_inferencer, list_images, output_names,  # noqa: E402
                                 predict, write_outputs)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='UDA or plain MMSeg config')
    parser.add_argument('checkpoint', help='its checkpoint (UDASegmentor or plain segmentor)')
    parser.add_argument('input', help='image file, folder of images, or glob pattern')
    parser.add_argument('--out', required=True, help='output folder (pred/, mask/, overlay/)')
    parser.add_argument('--device', default=None, help='e.g. cpu, cuda:0 (default: cuda if '
                        'available)')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the mask in the overlay, in (0, 1]')
    parser.add_argument('--with-labels', action='store_true',
                        help='write the class names onto the overlay')
    add_unsafe_load_flag(parser)
    args = parser.parse_args()
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    return args


def main() -> None:
    args = parse_args()
    images = list_images(args.input)
    names = output_names(images)
    inferencer = build_inferencer(args.config, args.checkpoint, args.device)
    print(f'{len(images)} images from {args.input} -> {args.out}/{{pred,mask,overlay}}')
    progress = ProgressBar(len(images))
    for image, name in zip(images, names):
        write_outputs(inferencer, image, predict(inferencer, image), args.out, name,
                      args.opacity, args.with_labels)
        progress.update()
    print(f'\nwrote {len(images)} x 3 PNGs to {args.out}')


if __name__ == '__main__':
    main()
