# Ablation "Ls + Ladv without Ld" of Tsai et al. (ICCV 2019, Table 1), GTA5 -> Cityscapes:
# ./gta2cs_1xb1.py with loss_weight_cluster=0, so the head H is not supervised by the patch
# modes and the discriminator aligns an unstructured K-dim projection of the output.
# PatchAlignment still loads the modes file (it needs one of modes_file/modes) but never
# computes Γ(Ys) or Ld (no src.patch.loss_cluster in the logs).
#
# Modes file (the same as gta2cs_1xb1.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_adv_no_ld_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs_1xb1.py']
model = dict(adaptations=dict(patch=dict(loss_weight_cluster=0.0)))
