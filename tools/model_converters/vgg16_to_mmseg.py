"""Convert VGG-16 ImageNet weights for the dilated VGG-16 front-end (DilatedVGG16).

    python tools/model_converters/vgg16_to_mmseg.py vgg16-397923af.pth \
        work_dirs/pretrained/vgg16_dilated_mmseg.pth [--format auto|torchvision|caffe]

SRC is torchvision's ``vgg16`` state dict (``features.*``, ``classifier.0``/``.3``) or one with
Caffe layer names (``conv1_1`` ... ``conv5_3``, ``fc6``, ``fc7``); a checkpoint holding it under
``state_dict`` or ``model`` works too. fc6/fc7 become convolutions, fc8 is dropped, and for Caffe
weights conv1_1 is rewritten for RGB, mean/std-normalised input (see
``mmseg_uda.models.backbones.vgg_dilated.convert_vgg16_state_dict``). DST holds
``dict(state_dict=..., meta=...)`` with the backbone's own keys, as the ``Pretrained`` init_cfg of
the backbone in ``configs/_base_/models/vgg16_dilated_fcn.py`` loads it.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_uda.engine.checkpoint import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.models.backbones.vgg_dilated import (DROPPED_KEYS, FORMATS,  # noqa: E402
                                                    convert_vgg16_state_dict,
                                                    detect_vgg16_format)
from state_dict_io import load_state_dict  # noqa: E402  (tools/model_converters/)


def load_vgg16_weights(path: str) -> dict:
    """The tensors of ``path`` (see ``state_dict_io.load_state_dict``), ``module.`` removed."""
    ckpt = load_state_dict(path, 'VGG-16 weights')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in ckpt.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='VGG-16 weights (torchvision or Caffe layer names)')
    parser.add_argument('dst', help='output checkpoint for DilatedVGG16')
    add_unsafe_load_flag(parser)
    parser.add_argument('--format', default='auto', choices=FORMATS,
                        help='layout of SRC (default: detected from its keys)')
    args = parser.parse_args()
    src = load_vgg16_weights(args.src)
    try:
        fmt = detect_vgg16_format(src) if args.format == 'auto' else args.format
        out = convert_vgg16_state_dict(src, fmt)
    except ValueError as e:
        raise SystemExit(f'{args.src}: {e}')
    dropped = [k for k in DROPPED_KEYS[fmt] if k in src]
    if dropped:
        print(f'note: dropped the ImageNet classifier fc8 ({", ".join(dropped)})')
    if fmt == 'caffe':
        print('note: conv1_1 rewritten from BGR [0, 255] minus the mean pixel to RGB, mean/std '
              'normalised input')
    fc = out['fc6.weight'].shape[0]
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=out, meta=dict(source=args.src, format=fmt, fc_channels=fc)),
               args.dst)
    print(f'wrote {args.dst}: {len(out)} tensors ({fmt} layout, fc_channels={fc})')


if __name__ == '__main__':
    main()
