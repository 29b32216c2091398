"""Convert GTA5 labels (Cityscapes label ids) to Cityscapes train ids.

Richter et al., "Playing for Data: Ground Truth from Computer Games", ECCV 2016
(https://download.visinf.tu-darmstadt.de/data/from_games/). With the archives extracted to
``data/gta/{images,labels}``::

    python tools/dataset_converters/gta.py data/gta --nproc 8

writes ``data/gta/labels/<name>_labelTrainIds.png`` for each ``labels/<name>.png`` and the
per-image class statistics ``data/gta/labels/label_stats.json``. Re-running converts only new or
changed labels (``--force`` rewrites all). See ``docs/data_preparation.md``.
"""
from mmseg_uda.datasets.convert import GTA5, converter_main

if __name__ == '__main__':
    converter_main(GTA5, 'labels')
