"""Export the plain MMSeg segmentor from a mmseg_uda checkpoint.

    python tools/model_converters/uda_to_mmseg.py work_dirs/x/iter_150000.pth segmentor.pth

The result holds only the wrapped segmentor's weights (no discriminators, no adaptation heads,
no optimizer state), under the keys stock MMSeg expects, so it loads into the ``model.segmentor``
config with MMSeg alone (``tools/test.py``, ``MMSegInferencer``, ``init_model``).
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_uda.engine.checkpoint import add_unsafe_load_flag  # noqa: E402
from mmseg_uda.engine.export import export_segmentor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('src', help='mmseg_uda checkpoint (UDASegmentor state dict)')
    parser.add_argument('dst', help='output path of the plain segmentor checkpoint')
    add_unsafe_load_flag(parser)
    args = parser.parse_args()
    ckpt = export_segmentor(args.src)
    torch.save(ckpt, args.dst)
    print(f"wrote {args.dst}: {len(ckpt['state_dict'])} tensors")


if __name__ == '__main__':
    main()
