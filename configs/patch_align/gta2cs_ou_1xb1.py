# Output-space + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019, "Ou" 41.4 ->
# 43.2 mIoU with patch alignment): gta2cs_1xb1.py (one GPU, batch 1 + 1) plus the single-level
# output-space adaptation of configs/output_space/gta2cs_deeplabv2_r101_1xb1.py
# (ConvDiscriminator on the upsampled softmax of the final classifier, λadv = 0.001). Both
# discriminators are trained by the one "discriminator" optimizer (Adam 1e-4). The 10k Ls-only
# warm-up of gta2cs_1xb1.py applies to both (the paper does not say; AdaptSegNet has none).
#
# Modes file (the same as gta2cs_1xb1.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_ou_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs_1xb1.py', '../_base_/adaptations/tsai2018.py']
model = dict(adaptations=dict(output={{_base_.ou_adaptsegnet}}))
