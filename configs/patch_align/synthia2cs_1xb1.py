# Patch-level alignment, SYNTHIA -> Cityscapes (Tsai et al. ICCV 2019: 37.0 mIoU over 16
# classes; no adaptation 33.5): gta2cs_1xb1.py (one GPU, batch 1 + 1) with SYNTHIA (1280x760)
# as source. The model keeps the
# 19 Cityscapes outputs (the modes' histograms too; terrain/truck/train never occur in SYNTHIA);
# evaluation: mIoU, mIoU16 and mIoU13 (configs/_base_/datasets/synthia_to_cityscapes.py).
# Patch size 32 as in gta2cs_1xb1.py: 23x40 patches per 1280x760 input (the bottom 24 rows cropped).
#
# Modes file (K-means over the SYNTHIA training label maps):
#   python tools/build_patch_modes.py configs/patch_align/synthia2cs_1xb1.py \
#       --out work_dirs/patch_modes/synthia2cs_k50.pth
# Model, schedule and patch alignment: _base_/adaptations/tsai2019_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2019_deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
modes_file = 'work_dirs/patch_modes/synthia2cs_k50.pth'
model = dict(
    adaptations=dict(patch=dict(modes_file=modes_file)))
