"""Export the plain MMSeg segmentor of a trained mmseg_uda model: config and weights.

    python tools/model_converters/uda_to_mmseg.py CONFIG CHECKPOINT OUT_DIR
    python tools/model_converters/uda_to_mmseg.py CHECKPOINT OUT.pth      # weights only

With a config, OUT_DIR receives NAME.py, a plain MMSeg config (the wrapped segmentor, the test
pipeline, dataloader and evaluator, test-time augmentation, visualizer, ``default_scope='mmseg'``),
and NAME.pth, the segmentor's weights under ``state_dict`` with ``meta.dataset_meta`` (classes,
palette), NAME being the config's name. The pair loads with stock MMSeg
(``mmseg.apis.init_model``, ``MMSegInferencer``, MMSeg's ``tools/test.py``); the config imports
``mmseg_uda`` only when one of its components is registered by this package, and the tool names
them. Without a config, OUT.pth holds only the weights (no discriminators, adaptation heads or
optimizer state), which load into the ``model.segmentor`` config with ``strict=True``.
See :mod:`mmseg_uda.engine.export`.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_uda.engine.checkpoint import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.engine.export import export_plain, export_segmentor  # noqa: E402

USAGE = ('%(prog)s CONFIG CHECKPOINT OUT_DIR\n'
         '       %(prog)s CHECKPOINT OUT.pth   (weights only)')


def parse_args() -> argparse.Namespace:
    """``config`` (None for the weights-only form), ``checkpoint`` and ``out``."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], usage=USAGE)
    parser.add_argument('paths', nargs='+', metavar='PATH',
                        help='CONFIG CHECKPOINT OUT_DIR, or CHECKPOINT OUT.pth')
    add_unsafe_load_flag(parser)
    args = parser.parse_args()
    if len(args.paths) == 3:
        args.config, args.checkpoint, args.out = args.paths
    elif len(args.paths) == 2 and not args.paths[0].endswith('.py'):
        args.config = None
        args.checkpoint, args.out = args.paths
    else:
        parser.error(f'expected CONFIG CHECKPOINT OUT_DIR or CHECKPOINT OUT.pth, got '
                     f'{" ".join(args.paths)}')
    return args


def main() -> None:
    args = parse_args()
    if args.config is None:
        ckpt = export_segmentor(args.checkpoint)
        torch.save(ckpt, args.out)
        print(f"wrote {args.out}: {len(ckpt['state_dict'])} tensors")
        return
    pair = export_plain(args.config, args.checkpoint, args.out)
    print(f'wrote {pair.config} and {pair.checkpoint}')
    if pair.plugin_types:
        listed = ', '.join(f'{type_} ({key})' for key, type_ in pair.plugin_types)
        print(f"the config has custom_imports=dict(imports=['mmseg_uda']): these components are "
              f'registered by mmseg_uda, so it must be installed where the pair is used: {listed}')
    else:
        print('every component is stock MMSeg: the pair loads without mmseg_uda, e.g. '
              f"mmseg.apis.init_model('{pair.config}', '{pair.checkpoint}')")


if __name__ == '__main__':
    main()
