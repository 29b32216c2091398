# Ablation "Ls + Ld" of Tsai et al. (ICCV 2019, Table 1), GTA5 -> Cityscapes (38.8 mIoU):
# ./gta2cs_1xb1.py with the patch classification loss Ld but no adversarial alignment
# (loss_weight_adv=0). PatchAlignment then builds no discriminator and the UDA segmentor
# forwards no target image, so an iteration costs about what a source-only one does.
#
# Modes file (the same as gta2cs_1xb1.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_ld_only_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs_1xb1.py']
model = dict(adaptations=dict(patch=dict(loss_weight_adv=0.0)))
