"""Convert SYNTHIA-RAND-CITYSCAPES labels (SYNTHIA class ids) to Cityscapes train ids.

Ros et al., "The SYNTHIA Dataset", CVPR 2016 (https://synthia-dataset.net, subset
SYNTHIA-RAND-CITYSCAPES). The class id is the R channel of the 16-bit ``GT/LABELS/*.png``
(see :mod:`mmseg_uda.datasets.convert`). With the archive extracted to
``data/synthia/{RGB,GT/LABELS}``::

    python tools/dataset_converters/synthia.py data/synthia --nproc 8

writes ``data/synthia/GT/LABELS/<name>_labelTrainIds.png`` for each label and the per-image
class statistics ``data/synthia/GT/LABELS/label_stats.json``. Re-running converts only new or
changed labels (``--force`` rewrites all). See ``docs/data_preparation.md``.
"""
from mmseg_uda.datasets.convert import SYNTHIA, converter_main

if __name__ == '__main__':
    converter_main(SYNTHIA, 'GT/LABELS')
