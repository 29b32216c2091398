# Fusion + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019 Table 2 row Fusion
# with patch alignment: 44.5 -> 46.5 mIoU), one GPU, batch 1 + 1: ./gta2cs_fusion_1xb1.py plus the
# patch alignment of configs/patch_align/gta2cs_1xb1.py (K = 50, 32 px patches, λd 0.01,
# λadv 0.0005; the other values PatchAlignment's defaults, as there); Ld and the patch
# discriminator's source side see GTA5 and its translations (same labels, same modes):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
#   python tools/train.py configs/fusion/gta2cs_fusion_patch_1xb1.py
_base_ = ['./gta2cs_fusion_1xb1.py']
model = dict(adaptations=dict(patch={{_base_.patch_gta}}))
