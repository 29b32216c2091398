# Pseudo-label re-training + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019,
# Table 2, row "Ps" with patch alignment: 44.2 mIoU; 41.8 without): ./gta2cs_ps_1xb1.py plus the
# patch alignment of configs/patch_align/gta2cs_1xb1.py (K = 50, λd 0.01, λadv 0.0005, 32 px
# patches, FCDiscriminator {256, 512, 1}; the other values are
# PatchAlignment's defaults, those of that config). Both discriminators are trained by the one
# "discriminator" optimizer (Adam 1e-4); the 10k source-only iterations apply to both.
# Differences from the paper: those of both parents (see their headers).
#
# Modes file (the same as configs/patch_align/gta2cs_1xb1.py):
#   python tools/build_patch_modes.py configs/self_training/gta2cs_ps_patch_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs_ps_1xb1.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(patch={{_base_.patch_gta}}))
