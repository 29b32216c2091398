"""Convert the DeepLab-v2 ResNet-101 initialisation of AdaptSegNet for DeepLabV2ResNet.

    python tools/model_converters/deeplabv2_to_mmseg.py \
        DeepLab_resnet_pretrained_init-f81d91e8.pth \
        work_dirs/pretrained/deeplabv2_resnet101_coco_init_mmseg.pth [--depth 101]

SRC is the ImageNet + MS-COCO DeepLab-v2 ResNet-101 that AdaptSegNet and Tsai et al. (ICCV 2019)
start from (AdaptSegNet's ``RESTORE_FROM``,
http://vllab.ucmerced.edu/ytsai/CVPR18/DeepLab_resnet_pretrained_init-f81d91e8.pth), or one of
AdaptSegNet's own snapshots; a checkpoint holding it under ``state_dict`` or ``model`` works
too. The ``Scale.`` / ``module.`` prefixes are stripped, the classifiers
(``layer5``, ``layer6``) are dropped, and every other source key that matches no backbone key
is printed (see ``mmseg_uda.models.backbones.deeplab_resnet.convert_deeplabv2_state_dict``);
unmatched keys are an error unless ``--allow-unmatched`` is given. DST holds
``dict(state_dict=..., meta=...)`` with the backbone's own keys, as the ``Pretrained``
init_cfg of the backbone in ``configs/_base_/models/deeplabv2_r101.py`` loads it. The weights
expect BGR input in [0, 255] minus the Caffe mean (104.007, 116.669, 122.679), no std: that
config's data preprocessor.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_uda.engine.checkpoint import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.models.backbones.deeplab_resnet import convert_deeplabv2_state_dict  # noqa: E402
from state_dict_io import load_state_dict  # noqa: E402  (tools/model_converters/)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='DeepLab-v2 ResNet weights (AdaptSegNet layout)')
    parser.add_argument('dst', help='output checkpoint for DeepLabV2ResNet')
    add_unsafe_load_flag(parser)
    parser.add_argument('--depth', type=int, default=101, help='ResNet depth (default 101)')
    parser.add_argument('--allow-unmatched', action='store_true',
                        help='write DST even when source keys match no backbone key')
    args = parser.parse_args()
    src = load_state_dict(args.src, 'DeepLab-v2 weights')
    try:
        weights, dropped, unmatched = convert_deeplabv2_state_dict(src, args.depth)
    except ValueError as e:
        raise SystemExit(f'{args.src}: {e}')
    if dropped:
        print(f'dropped the classifier: {len(dropped)} keys ({", ".join(dropped)})')
    for key in unmatched:
        print(f'unmatched source key: {key} {tuple(src[key].shape)}')
    if unmatched and not args.allow_unmatched:
        raise SystemExit(f'{args.src}: {len(unmatched)} source keys match no key of the '
                         f'ResNet-{args.depth} backbone (listed above); nothing written. Pass '
                         '--allow-unmatched to write the matched ones anyway.')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=weights, meta=dict(source=args.src, depth=args.depth,
                                                  dropped=dropped, unmatched=unmatched)),
               args.dst)
    print(f'wrote {args.dst}: {len(weights)} tensors of the ResNet-{args.depth} backbone')


if __name__ == '__main__':
    main()
