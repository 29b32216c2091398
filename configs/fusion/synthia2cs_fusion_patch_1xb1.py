# Fusion + patch-level alignment, SYNTHIA -> Cityscapes (Tsai et al. ICCV 2019 Table 3 row Fusion
# with patch alignment: 37.9 -> 40.0 mIoU over 16 classes): ./synthia2cs_fusion_1xb1.py plus the
# patch alignment of configs/patch_align/synthia2cs_1xb1.py and its modes file:
#   python tools/build_patch_modes.py configs/patch_align/synthia2cs_1xb1.py \
#       --out work_dirs/patch_modes/synthia2cs_k50.pth
_base_ = ['./synthia2cs_fusion_1xb1.py']
model = dict(adaptations=dict(patch={{_base_.patch_synthia}}))
