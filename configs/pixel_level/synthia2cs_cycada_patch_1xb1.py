# Pixel-level adaptation + patch-level alignment, SYNTHIA -> Cityscapes: configs/patch_align/
# synthia2cs_1xb1.py (Tsai et al. ICCV 2019 Table 3: patch alignment 33.5 -> 37.0 mIoU16; no Pi
# row is published for SYNTHIA, see ./synthia2cs_cycada_1xb1.py) with SYNTHIA and its translated
# images (data/synthia_translated, layout in ./synthia2cs_cycada_1xb1.py) as labelled source.
# Modes file: the SYNTHIA one of configs/patch_align/synthia2cs_1xb1.py (same labels):
#   python tools/build_patch_modes.py configs/patch_align/synthia2cs_1xb1.py \
#       --out work_dirs/patch_modes/synthia2cs_k50.pth
_base_ = ['../patch_align/synthia2cs_1xb1.py']
train_dataloader = dict(dataset=dict(source=dict(
    _delete_=True,
    type='TranslatedSourceDataset',
    source={{_base_.source_train}},
    translated_dir='data/synthia_translated',
)))
