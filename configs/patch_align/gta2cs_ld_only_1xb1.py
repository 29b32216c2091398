# Ablation "Ls + Ld" of Tsai et al. (ICCV 2019), GTA5 -> Cityscapes (38.8 mIoU): gta2cs.py with
# the patch classification loss Ld but no adversarial alignment (loss_weight_adv=0). The
# FCDiscriminator is still built and trained (its loss reaches the segmentor with weight 0), so
# the iteration cost stays that of gta2cs.py.
#
# Modes file (the same as gta2cs.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_ld_only.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs.py']
model = dict(adaptations=dict(patch=dict(loss_weight_adv=0.0)))
